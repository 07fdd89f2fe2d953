// ParamSchedulerHook: steps the learning-rate and momentum schedulers at MMEngine's moments:
// iteration-based ones after each train iteration, epoch-based ones after each train epoch, and
// metric-driven ones (ReduceOnPlateau*) with the validation metrics.
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Runner, RunnerParamScheduler } from '../runner/runner.js';
import type { DataBatch } from '../model/base-model.js';
import { Hook, type Metrics } from './hook.js';

export const paramSchedulerHookSchema = z.object({}).strict();

/** Schedulers that read validation metrics set `needValArgs` (MMEngine's need_val_args). */
const needsValArgs = (s: RunnerParamScheduler): boolean => (s as { needValArgs?: unknown }).needValArgs === true;

export class ParamSchedulerHook extends Hook {
  static override priority = 'LOW';

  constructor(options: unknown = {}) {
    super();
    parseOptions(paramSchedulerHookSchema, options);
  }

  override afterTrainIter(runner: Runner, _batchIdx: number, _dataBatch: DataBatch, _outputs: Record<string, number>): void {
    for (const scheduler of runner.paramSchedulers) if (!scheduler.byEpoch) scheduler.step();
  }

  /** ReduceOnPlateau* only count the epoch here; they act on the metrics in afterValEpoch. */
  override afterTrainEpoch(runner: Runner): void {
    for (const scheduler of runner.paramSchedulers) if (scheduler.byEpoch) scheduler.step();
  }

  /** Without metrics nothing steps: the epoch was already counted after the train epoch. */
  override afterValEpoch(runner: Runner, metrics: Metrics): void {
    if (metrics === undefined || metrics === null) return;
    for (const scheduler of runner.paramSchedulers) {
      if (scheduler.byEpoch && needsValArgs(scheduler)) scheduler.step(metrics);
    }
  }
}

HOOKS.register(ParamSchedulerHook);
