// When schedulers step, as MMEngine's ParamSchedulerHook drives them: iter-based ones after each
// train iteration, epoch-based ones after each train epoch, metric readers after validation.
import type { ParamScheduler } from './param-scheduler.js';
import type { Metrics } from './reduce-on-plateau.js';

/** One list per optimizer wrapper, or a dict of lists when the runner has several optimizers. */
export type ParamSchedulers = ParamScheduler[] | Record<string, ParamScheduler[]>;

function forEach(schedulers: ParamSchedulers, fn: (s: ParamScheduler) => void): void {
  const lists = Array.isArray(schedulers) ? [schedulers] : Object.values(schedulers);
  for (const list of lists) {
    if (!Array.isArray(list)) throw new TypeError(`param schedulers should be a list or a dict of lists, got ${typeof list}`);
    list.forEach(fn);
  }
}

/** ParamSchedulerHook.afterTrainIter: steps every scheduler with byEpoch false, in order. */
export function stepIterSchedulers(schedulers: ParamSchedulers): void {
  forEach(schedulers, (s) => {
    if (!s.byEpoch) s.step();
  });
}

/** ParamSchedulerHook.afterTrainEpoch: steps every scheduler with byEpoch true (ReduceOnPlateau only counts it). */
export function stepEpochSchedulers(schedulers: ParamSchedulers): void {
  forEach(schedulers, (s) => {
    if (s.byEpoch) s.step();
  });
}

/**
 * ParamSchedulerHook.afterValEpoch: hands the validation metrics to epoch-based schedulers that
 * read them (needValArgs: ReduceOnPlateau*). Nothing happens without metrics, as in MMEngine.
 */
export function stepValSchedulers(schedulers: ParamSchedulers, metrics: Metrics | undefined): void {
  if (metrics === undefined || metrics === null) return;
  forEach(schedulers, (s) => {
    if (s.byEpoch && s.needValArgs) (s as unknown as { step(m: Metrics): void }).step(metrics);
  });
}
