// Saving, loading and resuming: what goes into a checkpoint and how a run picks it up again.
// Beyond MMEngine, a checkpoint also carries the RNG states, the train sampler's position and
// each hook's own state, so a resumed run continues with the same batches and weights.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import * as torch from '../../torch/index.js';
import { saveCheckpointFile, loadCheckpointFile, checkpointFormat } from './checkpoint-file.js';
import { dataRandom } from '../dataset/random.js';
import type { Runner } from './runner.js';
import { isMainProcess } from './dist-env.js';
import { allGatherObjectSync } from '../evaluator/collect-results.js';

export const SEGKIT_VERSION = '0.1.0';
export const CHECKPOINT_SUFFIX = '.ckpt';

export interface SaveCheckpointOptions {
  saveOptimizer?: boolean;
  saveParamScheduler?: boolean;
  meta?: Record<string, unknown>;
  /** MMEngine: by_epoch checkpoints record epoch + 1 and iter; iteration ones epoch and iter + 1 (meta overrides both). */
  byEpoch?: boolean;
}

/** Stable keys for hook state: the class name, with #k for the k-th repeat of a class. */
function hookKeys(runner: Runner): string[] {
  const seen = new Map<string, number>();
  return runner.hooks.map((h) => {
    const n = seen.get(h.name) ?? 0;
    seen.set(h.name, n + 1);
    return n === 0 ? h.name : `${h.name}#${n}`;
  });
}

/** Builds the checkpoint of the runner's current state and writes it atomically to outDir/filename. */
export async function saveCheckpoint(runner: Runner, outDir: string, filename: string, opts: SaveCheckpointOptions = {}): Promise<string> {
  const byEpoch = opts.byEpoch ?? true;
  const meta: Record<string, unknown> = {
    epoch: byEpoch ? runner.epoch + 1 : runner.epoch,
    iter: byEpoch ? runner.iter : runner.iter + 1,
    cfg: JSON.stringify(runner.cfg, (_k, v) => (typeof v === 'function' ? v.name : v)),
    seed: runner.seed,
    experiment_name: runner.expName,
    time: new Date().toISOString(),
    segkit_version: SEGKIT_VERSION,
    ...opts.meta,
  };
  const datasetMeta = runner.trainDataloader?.dataset?.metainfo;
  if (datasetMeta) meta.dataset_meta = datasetMeta;

  const checkpoint: Record<string, unknown> = {
    meta,
    state_dict: runner.model.stateDict(),
    message_hub: runner.messageHub.stateDict(),
  };
  if (opts.saveOptimizer !== false && runner.optimWrapper) checkpoint.optimizer = runner.optimWrapper.stateDict();
  if (opts.saveParamScheduler !== false && runner.paramSchedulers.length) {
    checkpoint.param_schedulers = runner.paramSchedulers.map((s) => s.stateDict());
  }
  const loader = runner.trainDataloader;
  const rng = torch.getRngState();
  // Loaders reseed their transforms' stream per batch (from their seed, rank and batch number, in train_loader);
  // the main-thread stream is saved for transforms used outside a loader.
  const rngState: Record<string, unknown> = { torch_cpu: rng, data: dataRandom().stateDict() };
  // Distributed: every rank's RNG states ride along (rank r resumes with its own); rank 0 writes.
  if (runner.distributed) rngState.per_rank = allGatherObjectSync({ torch_cpu: rng, data: rngState.data }, 'saveCheckpoint (RNG states)', 0);
  checkpoint.rng = rngState;
  // The loader's position counts batches handed to the loop, not ones prefetched by workers.
  if (loader?.resumable && loader.stateDict) checkpoint.train_loader = loader.stateDict();
  const hookState: Record<string, unknown> = {};
  hookKeys(runner).forEach((key, i) => {
    const s = runner.hooks[i]!.stateDict();
    if (s !== undefined) hookState[key] = s;
  });
  if (Object.keys(hookState).length) checkpoint.hooks = hookState;

  await runner.callHook('beforeSaveCheckpoint', checkpoint);
  const file = join(outDir, filename);
  // As MMEngine's master_only save: every rank builds the checkpoint (hooks may be collective), rank 0 writes it.
  if (isMainProcess()) {
    mkdirSync(outDir, { recursive: true });
    saveCheckpointFile(checkpoint, file);
  }
  rng.dispose();
  for (const r of (rngState.per_rank ?? []) as { torch_cpu: torch.Tensor }[]) r.torch_cpu.dispose();
  // Weight maps hold fresh handles made for this checkpoint (optimizer state is live: left alone).
  for (const key of ['state_dict', 'ema_state_dict']) if (checkpoint[key] instanceof Map) torch.dispose([...(checkpoint[key] as Map<string, unknown>).values()]);
  return file;
}

/** The checkpoint named by `<workDir>/last_checkpoint`, or null (MMEngine's find_latest_checkpoint). */
export function findLatestCheckpoint(workDir: string): string | null {
  const marker = join(workDir, 'last_checkpoint');
  if (!existsSync(marker)) return null;
  const path = readFileSync(marker, 'utf8').trim();
  if (!path) return null;
  const full = isAbsolute(path) ? path : resolve(workDir, path);
  return existsSync(full) ? full : null;
}

/** Rank 0 only (the other ranks of a distributed run write no files). */
export function writeLastCheckpoint(workDir: string, checkpointPath: string): void {
  if (!isMainProcess()) return;
  writeFileSync(join(workDir, 'last_checkpoint'), checkpointPath);
}

export interface WeightLoadReport {
  /** Model keys filled from the checkpoint. */
  loaded: string[];
  missingKeys: string[];
  unexpectedKeys: string[];
  /** Keys skipped because the checkpoint's shape differs from the model's. */
  mismatchedKeys: { key: string; checkpointShape: number[]; modelShape: number[] }[];
}

/**
 * The weights of a checkpoint record: its `state_dict` entry, else the record itself (a bare
 * state dict, as timm and mmpretrain publish), with a leading `module.` (DataParallel) removed.
 * Every value must be a tensor; the error names the file and key otherwise.
 */
export function weightsOf(ckpt: Record<string, unknown>, file: string): Map<string, torch.Tensor> {
  const source = (ckpt.state_dict ?? ckpt) as unknown;
  const entries: [string, unknown][] = source instanceof Map ? [...source.entries()] : Object.entries((source ?? {}) as Record<string, unknown>);
  const out = new Map<string, torch.Tensor>();
  for (const [k, v] of entries) {
    if (!(v instanceof torch.Tensor)) {
      throw new Error(`${file}: ${ckpt.state_dict ? 'state_dict.' : ''}${String(k)}: expected a tensor in the checkpoint's weights, got ${v === null ? 'None' : typeof v === 'object' ? v.constructor?.name ?? 'object' : typeof v}`);
    }
    out.set(String(k).replace(/^module\./, ''), v);
  }
  return out;
}

const shapeText = (s: number[]): string => `[${s.join(', ')}]`;

/**
 * MMEngine's load_state_dict: copies `weights` into `module` non-strictly, skipping keys whose
 * shapes differ, and returns the report plus one warning text listing every mismatch (null
 * when all keys match). Strict mode throws on any missing, unexpected or mis-shaped key.
 */
export function loadWeightsInto(module: torch.nn.Module, weights: Map<string, torch.Tensor>, opts: { strict?: boolean } = {}): { report: WeightLoadReport; warning: string | null } {
  const own = module.stateDict({ keepVars: true });
  const selected = new Map(weights);
  const mismatchedKeys: WeightLoadReport['mismatchedKeys'] = [];
  if (!opts.strict) {
    for (const [k, v] of weights) {
      const target = own.get(k);
      if (!target) continue;
      const a = target.shape;
      const b = v.shape;
      const scalarOk = a.length === 0 && b.length === 1 && b[0] === 1;
      if (!scalarOk && (a.length !== b.length || a.some((d, i) => d !== b[i]))) {
        mismatchedKeys.push({ key: k, checkpointShape: b, modelShape: a });
        selected.delete(k);
      }
    }
  }
  const result = module.loadStateDict(selected, { strict: opts.strict ?? false });
  const mismatched = new Set(mismatchedKeys.map((m) => m.key));
  const missingKeys = result.missingKeys.filter((k) => !mismatched.has(k));
  const unexpectedKeys = result.unexpectedKeys;
  const loaded = [...selected.keys()].filter((k) => own.has(k));
  const lines = mismatchedKeys.map((m) => `size mismatch for ${m.key}: copying a param with shape ${shapeText(m.checkpointShape)} from checkpoint, the shape in current model is ${shapeText(m.modelShape)}.`);
  if (unexpectedKeys.length) lines.push(`unexpected key in source state_dict: ${unexpectedKeys.join(', ')}`);
  if (missingKeys.length) lines.push(`missing keys in source state_dict: ${missingKeys.join(', ')}`);
  const warning = lines.length ? `The model and loaded state dict do not match exactly\n\n${lines.join('\n')}\n` : null;
  return { report: { loaded, missingKeys, unexpectedKeys, mismatchedKeys }, warning };
}

/** Puts a checkpoint's weights into the model, reporting missing, unexpected and mis-shaped keys in one warning. */
function loadWeights(runner: Runner, ckpt: Record<string, unknown>, file: string, strict: boolean): WeightLoadReport {
  const { report, warning } = loadWeightsInto(runner.model, weightsOf(ckpt, file), { strict });
  if (warning) runner.logger.warning(`${file}: ${warning}`);
  return report;
}

/**
 * Loads model weights from a checkpoint (MMEngine's load_checkpoint: non-strict by default).
 * As in MMEngine, after_load_checkpoint hooks see the checkpoint before the weights go in
 * (EMAHook swaps its weights there).
 */
export async function loadCheckpoint(runner: Runner, file: string, opts: { strict?: boolean } = {}): Promise<Record<string, unknown>> {
  const ckpt = loadCheckpointFile(file, { device: runner.device });
  await runner.callHook('afterLoadCheckpoint', ckpt);
  loadWeights(runner, ckpt, file, opts.strict ?? false);
  runner.logger.info(`Load checkpoint from ${file}`);
  return ckpt;
}

/**
 * Restores everything for exact continuation: weights, optimizer, schedulers, message hub,
 * progress, RNG states, the train sampler's position and hook states.
 */
export async function resumeFrom(runner: Runner, file: string): Promise<void> {
  if (checkpointFormat(file) !== 'segkit') {
    throw new Error(`${file}: cannot resume from a PyTorch checkpoint (only segkit .ckpt files carry the full training state); use load_from to start from its weights`);
  }
  const ckpt = loadCheckpointFile(file, { device: runner.device });
  const meta = (ckpt.meta ?? {}) as Record<string, unknown>;
  if (typeof meta.iter !== 'number' || typeof meta.epoch !== 'number') {
    throw new Error(`${file}: cannot resume: the checkpoint has no meta.iter/meta.epoch (was it saved by segkit train?)`);
  }
  if (meta.seed !== undefined && meta.seed !== runner.seed) {
    runner.logger.warning(`The seed of this run (${runner.seed}) differs from the checkpoint's (${String(meta.seed)}).`);
  }
  runner.trainLoop?.restoreProgress(meta.iter, meta.epoch);
  await runner.callHook('afterLoadCheckpoint', ckpt);
  loadWeights(runner, ckpt, file, true);
  if (ckpt.optimizer && runner.optimWrapper) runner.optimWrapper.loadStateDict(ckpt.optimizer as Record<string, unknown>);
  const schedulerStates = (ckpt.param_schedulers ?? []) as Record<string, unknown>[];
  if (schedulerStates.length && schedulerStates.length !== runner.paramSchedulers.length) {
    throw new Error(`${file}: the checkpoint has ${schedulerStates.length} param schedulers, the config builds ${runner.paramSchedulers.length}`);
  }
  schedulerStates.forEach((s, i) => runner.paramSchedulers[i]!.loadStateDict(s));
  if (ckpt.message_hub) runner.messageHub.loadStateDict(ckpt.message_hub as never);
  type RngState = { torch_cpu?: torch.Tensor; data?: { s: number[] } };
  let rng = ckpt.rng as (RngState & { per_rank?: RngState[] }) | undefined;
  // Each rank continues with its own RNG states when the checkpoint has them for this world size.
  if (rng?.per_rank?.length === runner.worldSize && runner.worldSize > 1) rng = rng.per_rank[runner.rank];
  else if (runner.distributed) runner.logger.warning(`${file}: no RNG states for ${runner.worldSize} processes in the checkpoint; every rank resumes with rank 0's`);
  if (rng?.torch_cpu) torch.setRngState(rng.torch_cpu);
  if (rng?.data) dataRandom().loadStateDict(rng.data);
  if (ckpt.train_loader !== undefined) runner.pendingLoaderState = ckpt.train_loader;
  const hookState = (ckpt.hooks ?? {}) as Record<string, unknown>;
  hookKeys(runner).forEach((key, i) => {
    if (key in hookState) runner.hooks[i]!.loadStateDict(hookState[key]);
  });
  torch.dispose(ckpt);
  runner.logger.info(`resumed epoch: ${meta.epoch}, iter: ${meta.iter}`);
}

/** MMEngine's load_or_resume: `resume: true` takes load_from or the latest checkpoint; load_from alone loads weights. */
export async function loadOrResume(runner: Runner, opts: { resume: boolean | string; loadFrom: string | null }): Promise<void> {
  let resumeFile: string | null = null;
  if (typeof opts.resume === 'string') resumeFile = opts.resume;
  else if (opts.resume) resumeFile = opts.loadFrom ?? findLatestCheckpoint(runner.workDir);
  if (resumeFile) {
    await resumeFrom(runner, resumeFile);
  } else if (opts.loadFrom) {
    torch.dispose(await loadCheckpoint(runner, opts.loadFrom));
  } else if (opts.resume) {
    runner.logger.info(`resume: no checkpoint found in ${runner.workDir}; training from scratch`);
  }
}
