// Builds a Runner from a merged config, as MMEngine's Runner.from_cfg does: the parts every
// run needs are built at once; loops, data loaders, the optimizer wrapper and schedulers are
// built lazily by train()/val()/test() (see run.ts), so a test run needs no train settings.
import { basename, extname, join, resolve } from 'node:path';
import { mkdirSync } from 'node:fs';
import { z } from 'zod';
import * as torch from '../../torch/index.js';
import { ConfigError, parseOptions, type KeyPath } from '../config/errors.js';
import { HOOKS, LOG_PROCESSORS, MODELS, VISUALIZERS } from '../registry/index.js';
import type { Hook } from '../hooks/hook.js';
import '../hooks/index.js';
import { getPriority } from '../hooks/priority.js';
import type { BaseModel } from '../model/base-model.js';
import { MessageHub } from '../logging/message-hub.js';
import { buildRunLogger, runTimestamp } from '../logging/logger.js';
import type { LogProcessor } from '../logging/log-processor.js';
import '../logging/log-processor.js';
import type { Visualizer } from '../visualization/visualizer.js';
import '../visualization/index.js';
import { seedDataRandom } from '../dataset/random.js';
import { Runner } from './runner.js';
import { broadcastNumber, checkLauncher, getDistInfo, syncRandomSeed } from './dist-env.js';

const randomnessSchema = z.object({
  seed: z.number().int().nonnegative().nullable().default(null),
  deterministic: z.boolean().default(false),
  diff_rank_seed: z.boolean().default(false),
}).strict();

const envSchema = z.object({
  cudnn_benchmark: z.boolean().default(false),
  mp_cfg: z.record(z.string(), z.unknown()).optional(),
  dist_cfg: z.record(z.string(), z.unknown()).optional(),
  /** segkit: libtorch intra-op threads (default: one per core). */
  num_threads: z.number().int().positive().optional(),
  /** segkit: 'cpu', 'cuda' or 'cuda:N' (default: cuda when available). */
  device: z.string().optional(),
}).strict();

/** MMEngine's default_hooks, in its registration order. */
export const DEFAULT_HOOKS: Record<string, Record<string, unknown>> = {
  runtime_info: { type: 'RuntimeInfoHook' },
  timer: { type: 'IterTimerHook' },
  sampler_seed: { type: 'DistSamplerSeedHook' },
  logger: { type: 'LoggerHook' },
  param_scheduler: { type: 'ParamSchedulerHook' },
  checkpoint: { type: 'CheckpointHook', interval: 1 },
};

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Builds one hook from a config (or takes a Hook instance) and registers it with its priority. */
export function registerHookConfig(runner: Runner, cfg: unknown, keyPath: KeyPath): void {
  if (cfg && typeof cfg === 'object' && 'beforeRun' in cfg) {
    const hook = cfg as Hook;
    runner.registerHook(hook, getPriority((hook.constructor as typeof Hook).priority, [...keyPath, 'priority']));
    return;
  }
  if (!isPlainObject(cfg)) throw new ConfigError(keyPath, `expected a hook config with a 'type', got ${JSON.stringify(cfg)}`);
  const { priority, ...rest } = cfg;
  const cls = HOOKS.resolve(rest.type, keyPath) as unknown as typeof Hook;
  const hook = HOOKS.build<Hook>(rest, { keyPath });
  const value = priority === undefined ? cls.priority : priority;
  runner.registerHook(hook, getPriority(value, [...keyPath, 'priority']));
}

/** default_hooks merged over MMEngine's defaults (null removes one), then custom_hooks. */
export function registerHooks(runner: Runner, defaultHooks: unknown, customHooks: unknown): void {
  const merged: Record<string, unknown> = { ...DEFAULT_HOOKS };
  if (defaultHooks !== undefined && defaultHooks !== null) {
    if (!isPlainObject(defaultHooks)) throw new ConfigError(['default_hooks'], 'expected an object of named hook configs');
    for (const [name, hookCfg] of Object.entries(defaultHooks)) {
      if (hookCfg === null) {
        merged[name] = null;
      } else if (isPlainObject(hookCfg) && isPlainObject(merged[name]) && (hookCfg.type === undefined || hookCfg.type === (merged[name] as Record<string, unknown>).type)) {
        merged[name] = { ...(merged[name] as Record<string, unknown>), ...hookCfg };
      } else {
        merged[name] = hookCfg;
      }
    }
  }
  // segkit addition: a progress bar for val/test in a terminal (LoggerHook's lines serve pipes).
  if (!('progress_bar' in merged) && process.stderr.isTTY) merged.progress_bar = { type: 'ProgressBarHook' };
  for (const [name, hookCfg] of Object.entries(merged)) {
    if (hookCfg !== null) registerHookConfig(runner, hookCfg, ['default_hooks', name]);
  }
  if (customHooks !== undefined && customHooks !== null) {
    if (!Array.isArray(customHooks)) throw new ConfigError(['custom_hooks'], 'expected a list of hook configs');
    customHooks.forEach((h, i) => registerHookConfig(runner, h, ['custom_hooks', i]));
  }
}

function pickDevice(requested: string | undefined): string {
  if (requested) return torch.checkDevice(requested);
  return torch.cuda.isAvailable() ? 'cuda' : 'cpu';
}

export interface FromConfigOptions {
  /** The config file the dict came from (experiment name, error messages). */
  filename?: string;
  /** Build only (e.g. to list hooks): no start-up log line. */
  quiet?: boolean;
}

/** MMEngine's Runner.from_cfg. */
export function buildRunner(cfg: Record<string, unknown>, opts: FromConfigOptions = {}): Runner {
  if (typeof cfg.work_dir !== 'string' || cfg.work_dir === '') {
    throw new ConfigError(['work_dir'], `expected a directory path, got ${JSON.stringify(cfg.work_dir)} (set work_dir in the config or pass --work-dir)`);
  }
  const workDir = resolve(cfg.work_dir);
  // MMEngine's setup_env: the process group exists before anything else (the launcher's
  // initDist), and every rank takes rank 0's timestamp so all name the same log dir.
  const launcher = checkLauncher(cfg.launcher ?? 'none');
  if (launcher !== 'none' && !torch.distributed.isInitialized()) {
    throw new Error(`launcher '${launcher}': the process group is not initialized; await initDist(launcher, env_cfg.dist_cfg) before buildRunner (segkit train --launcher does)`);
  }
  const { rank, worldSize } = launcher === 'none' ? { rank: 0, worldSize: 1 } : getDistInfo();
  const timestamp = runTimestamp(new Date(broadcastNumber(Date.now())));
  const logDir = join(workDir, timestamp);
  mkdirSync(logDir, { recursive: true });
  const stem = opts.filename ? basename(opts.filename, extname(opts.filename)) : undefined;
  let expName = typeof cfg.experiment_name === 'string' ? `${cfg.experiment_name}_${timestamp}` : stem ? `${stem}_${timestamp}` : timestamp;
  // Two runs started in the same second in one process must not share a message hub.
  for (let n = 1; MessageHub.checkInstanceCreated(expName); n++) expName = `${expName.replace(/_r\d+$/, '')}_r${n}`;

  const env = parseOptions(envSchema, cfg.env_cfg ?? {}, ['env_cfg']);
  if (env.num_threads) torch.setNumThreads(env.num_threads);
  const device = pickDevice(env.device);

  const randomness = parseOptions(randomnessSchema, cfg.randomness ?? {}, ['randomness']);
  // MMEngine's set_random_seed: no seed means rank 0's random one; diff_rank_seed adds the rank.
  const seed = (randomness.seed ?? syncRandomSeed()) + (randomness.diff_rank_seed ? rank : 0);
  torch.manualSeed(seed);
  seedDataRandom(seed);
  if (randomness.deterministic) torch.useDeterministicAlgorithms(true);

  // Ranks other than 0 print errors only and write no log file (MMLogger's rule).
  const logger = buildRunLogger({ name: expName, logDir, timestamp, logLevel: (cfg.log_level as never) ?? 'INFO', rank, worldSize });
  const messageHub = MessageHub.getInstance(expName);

  // As MMEngine: the visualizer is named after the experiment and writes under <log_dir>/vis_data.
  const visCfg: Record<string, unknown> = isPlainObject(cfg.visualizer) ? { ...cfg.visualizer } : { vis_backends: [{ type: 'LocalVisBackend' }] };
  // MMEngine's vis backends record on rank 0 only (master_only): the others get none.
  if (rank !== 0) visCfg.vis_backends = [];
  const visualizer = VISUALIZERS.build<Visualizer>(
    { type: 'Visualizer', ...visCfg, name: visCfg.name ?? expName, save_dir: visCfg.save_dir ?? logDir }, { keyPath: ['visualizer'] });
  visualizer.addConfig(cfg as never);

  const lpCfg = isPlainObject(cfg.log_processor) ? { type: 'LogProcessor', ...cfg.log_processor } : { type: 'LogProcessor' };
  const logProcessor = LOG_PROCESSORS.build<LogProcessor>(lpCfg, { keyPath: ['log_processor'] });

  if (!isPlainObject(cfg.model)) throw new ConfigError(['model'], `expected a model config with a 'type', got ${JSON.stringify(cfg.model)}`);
  const modelCfg = { ...cfg.model };
  if (cfg.data_preprocessor !== undefined && modelCfg.data_preprocessor === undefined) modelCfg.data_preprocessor = cfg.data_preprocessor;
  const model = MODELS.build<BaseModel>(modelCfg, { keyPath: ['model'] });
  if (device !== 'cpu') model.to(device);

  const runner = new Runner({ cfg, model, workDir, logDir, timestamp, expName, logger, messageHub, visualizer, logProcessor, seed, device, launcher, rank, worldSize });
  registerHooks(runner, cfg.default_hooks, cfg.custom_hooks);
  const distText = launcher === 'none' ? '' : `, ${worldSize} processes (launcher ${launcher}, ${torch.distributed.getDefaultGroup().backend})`;
  if (!opts.quiet) logger.info(`Experiment ${expName}: seed ${seed}, device ${device}, libtorch ${torch.libtorchVersion()}, ${torch.getNumThreads()} threads${distText}`);
  return runner;
}
