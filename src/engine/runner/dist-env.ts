// The distributed environment of a run (MMEngine's setup_env / init_dist and mmengine.dist's
// queries): the launcher kinds, process-group start-up from the launcher's environment, and
// is_main_process / get_dist_info for code that only rank 0 may run (writing files).
import { z } from 'zod';
import * as torch from '../../torch/index.js';
import { ConfigError, parseOptions } from '../config/errors.js';

const { distributed } = torch;

/** 'none': one process. 'pytorch': RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT set by a launcher (torchrun, `segkit train --nproc`, a scheduler). */
export const LAUNCHERS = ['none', 'pytorch'] as const;
export type Launcher = (typeof LAUNCHERS)[number];

/** MMEngine's env_cfg.dist_cfg: the backend and the timeout in seconds (PyTorch's default 30 minutes). */
export const distCfgSchema = z.object({
  backend: z.enum(['gloo', 'nccl']).optional(),
  timeout: z.number().positive().default(1800),
  /** 'env://' (MASTER_ADDR/MASTER_PORT, default) or 'tcp://host:port'. */
  init_method: z.string().optional(),
}).strict();

const ENV_VARS = ['RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT'] as const;

/** Checks a launcher name (config `launcher` or --launcher), naming where it came from. */
export function checkLauncher(value: unknown, keyPath: (string | number)[] = ['launcher']): Launcher {
  if (typeof value === 'string' && (LAUNCHERS as readonly string[]).includes(value)) return value as Launcher;
  throw new ConfigError(keyPath, `expected ${LAUNCHERS.map((l) => `'${l}'`).join(' | ')}, got ${JSON.stringify(value)}`);
}

/**
 * MMEngine's init_dist for `launcher`: starts the default process group from the launcher's
 * environment (a no-op for 'none' or when a group already exists). `dist_cfg.backend` defaults
 * to 'nccl' with CUDA and 'gloo' otherwise; 'nccl' without CUDA (MMSeg's default runtime asks
 * for it) falls back to 'gloo' with a warning.
 */
export async function initDist(launcher: Launcher, distCfg: unknown = {}, opts: { device?: string; warn?: (msg: string) => void } = {}): Promise<void> {
  if (launcher === 'none' || distributed.isInitialized()) return;
  const cfg = parseOptions(distCfgSchema, distCfg ?? {}, ['env_cfg', 'dist_cfg']);
  const missing = ENV_VARS.filter((k) => process.env[k] === undefined || process.env[k] === '');
  if (cfg.init_method?.startsWith('tcp://')) missing.splice(0, missing.length, ...missing.filter((k) => k !== 'MASTER_ADDR' && k !== 'MASTER_PORT'));
  if (missing.length) {
    throw new Error(`launcher 'pytorch': ${missing.map((k) => `$${k}`).join(', ')} not set; start each process with torchrun-style environment variables, or use segkit train --nproc N to spawn them`);
  }
  const cuda = (opts.device ?? (torch.cuda.isAvailable() ? 'cuda' : 'cpu')).startsWith('cuda');
  let backend = cfg.backend ?? (cuda ? 'nccl' : 'gloo');
  if (backend === 'nccl' && !cuda) {
    (opts.warn ?? console.warn)("env_cfg.dist_cfg.backend 'nccl' needs CUDA; this run is on the CPU, so it uses 'gloo'");
    backend = 'gloo';
  }
  await distributed.initProcessGroup({ backend, timeoutMs: cfg.timeout * 1000, ...(cfg.init_method ? { initMethod: cfg.init_method } : {}) });
}

/** MMEngine's get_dist_info: (rank, world size); (0, 1) without a process group. */
export function getDistInfo(): { rank: number; worldSize: number } {
  return { rank: distributed.getRank(), worldSize: distributed.getWorldSize() };
}

/** Whether a process group with more than one rank is running. */
export function isDistributed(): boolean {
  return distributed.isInitialized() && distributed.getWorldSize() > 1;
}

/** MMEngine's is_main_process: rank 0 (or no process group). Only it writes checkpoints, logs and images. */
export function isMainProcess(): boolean {
  return distributed.getRank() === 0;
}

/**
 * MMEngine's sync_random_seed: a random seed drawn on rank 0 and shared with every rank, so samplers
 * built with `seed: null` shuffle alike everywhere. One process: just a random seed.
 */
export function syncRandomSeed(): number {
  const seed = Math.floor(Math.random() * 2 ** 31);
  if (!isDistributed()) return seed;
  return torch.tidy(() => {
    const t = torch.tensor([seed], { dtype: 'int64' });
    distributed.broadcastSync(t, 0);
    return t.item();
  });
}

/** Rank 0's value of a number (the run's timestamp, so every rank names the same log dir). */
export function broadcastNumber(value: number): number {
  if (!isDistributed()) return value;
  return torch.tidy(() => {
    const t = torch.tensor(Float64Array.of(value));
    distributed.broadcastSync(t, 0);
    return t.item();
  });
}

/** Any rank's flag raised means raised everywhere (a stop request seen by some ranks only). */
export async function anyRank(flag: boolean): Promise<boolean> {
  if (!isDistributed()) return flag;
  const t = torch.tensor(Int32Array.of(flag ? 1 : 0));
  try {
    await distributed.allReduce(t, 'max');
    return t.item() > 0;
  } finally {
    t.dispose();
  }
}
