// Computes a schedule without training: builds the schedulers over a dummy optimizer and steps
// them as ParamSchedulerHook does, recording lr per param group at the requested iterations.
import { ConfigError } from '../../config/errors.js';
import { buildParamSchedulers } from './build-schedulers.js';
import { stepEpochSchedulers, stepIterSchedulers } from './step-schedulers.js';

export interface SimulateOptions {
  /** The optimizer's lr per param group before any scheduling. */
  baseLrs: number[];
  /** Iterations (0-based) whose lr to report: the lr used during that train iteration. */
  iters: number[];
  /** The train loop's max iterations: default `end` of iter-based schedulers (and of epoch-based ones via epochs). */
  maxIters?: number;
  /** Iterations per epoch: epoch-based schedulers step every epochLength iterations. */
  epochLength?: number;
  /** Momentum per param group, for configs with momentum schedulers. */
  baseMomentums?: number[];
}

/**
 * lr[g][k] = the lr of param group g during train iteration iters[k] (after iters[k] iter-based
 * steps), for `cfgs` as written in a `param_scheduler` config.
 */
export function simulateSchedule(cfgs: unknown, opts: SimulateOptions): number[][] {
  const { baseLrs, iters, maxIters, epochLength, baseMomentums } = opts;
  if (baseLrs.length === 0) throw new RangeError('simulateSchedule: baseLrs needs at least one param group');
  if (baseMomentums !== undefined && baseMomentums.length !== baseLrs.length) {
    throw new RangeError(`simulateSchedule: baseMomentums has ${baseMomentums.length} values, baseLrs ${baseLrs.length}`);
  }
  for (const i of iters) if (!Number.isInteger(i) || i < 0) throw new RangeError(`simulateSchedule: iters should be integers >= 0, got ${i}`);
  const optimizer = {
    paramGroups: baseLrs.map((lr, g) => (baseMomentums ? { lr, momentum: baseMomentums[g] } : { lr })) as Record<string, unknown>[],
  };
  const maxEpochs = maxIters !== undefined && epochLength ? Math.ceil(maxIters / epochLength) : undefined;
  const schedulers = buildParamSchedulers(cfgs, optimizer, { epochLength, maxIters, maxEpochs });
  if (!epochLength) {
    const at = schedulers.findIndex((s) => s.byEpoch);
    if (at >= 0) throw new ConfigError(Array.isArray(cfgs) ? ['param_scheduler', at, 'by_epoch'] : ['param_scheduler', 'by_epoch'], 'an epoch-based scheduler needs epochLength to be simulated per iteration');
  }
  const wanted = new Map<number, number[]>();
  for (const i of iters) wanted.set(i, []);
  const last = Math.max(-1, ...iters);
  for (let i = 0; i <= last; i++) {
    if (wanted.has(i)) wanted.set(i, optimizer.paramGroups.map((g) => g.lr as number));
    stepIterSchedulers(schedulers);
    if (epochLength && (i + 1) % epochLength === 0) stepEpochSchedulers(schedulers);
  }
  return baseLrs.map((_, g) => iters.map((i) => wanted.get(i)![g]!));
}
