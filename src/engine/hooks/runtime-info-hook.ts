// RuntimeInfoHook: keeps the run's progress, learning rates, log vars and metrics in the message
// hub, so parts that never see the Runner (log processor, metrics, schedulers) can read them.
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { toTypeScript } from '../config/pretty-text.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { SEGKIT_VERSION } from '../runner/checkpoint.js';
import type { DataBatch } from '../model/base-model.js';
import { Hook, type Metrics } from './hook.js';

export const runtimeInfoHookSchema = z.object({}).strict();

/** MMEngine's `_is_scalar`: a number or a one-element tensor goes to the scalars, anything else to runtime info. */
function isScalar(value: unknown): boolean {
  if (typeof value === 'number') return true;
  if (value === null || typeof value !== 'object' || typeof (value as { item?: unknown }).item !== 'function') return false;
  const numel = (value as { numel?: unknown }).numel;
  const n = typeof numel === 'function' ? (numel as () => number).call(value) : numel;
  return n === undefined || n === 1;
}

export class RuntimeInfoHook extends Hook {
  static override priority = 'VERY_HIGH';
  /** The loop stage to restore after a validation run inside training. */
  #lastLoopStage: unknown = null;

  constructor(options: unknown = {}) {
    super();
    parseOptions(runtimeInfoHookSchema, options);
  }

  override beforeRun(runner: Runner): void {
    runner.messageHub.updateInfoDict({
      cfg: toTypeScript(runner.cfg),
      seed: runner.seed,
      experiment_name: runner.expName,
      segkit_version: SEGKIT_VERSION,
    });
    this.#lastLoopStage = null;
  }

  override beforeTrain(runner: Runner): void {
    const hub = runner.messageHub;
    hub.updateInfo('loop_stage', 'train');
    hub.updateInfo('epoch', runner.epoch);
    hub.updateInfo('iter', runner.iter);
    hub.updateInfo('max_epochs', runner.maxEpochs);
    hub.updateInfo('max_iters', runner.maxIters);
    const metainfo = runner.trainDataloader?.dataset?.metainfo;
    if (metainfo !== undefined) hub.updateInfo('dataset_meta', metainfo);
  }

  override afterTrain(runner: Runner): void {
    runner.messageHub.popInfo('loop_stage');
  }

  override beforeTrainEpoch(runner: Runner): void {
    runner.messageHub.updateInfo('epoch', runner.epoch);
  }

  /** `train/<name>` for each entry of getLr() (`lr`, plus `base_lr` with several groups): the first group's value. */
  override beforeTrainIter(runner: Runner, _batchIdx: number, _dataBatch: DataBatch): void {
    runner.messageHub.updateInfo('iter', runner.iter);
    const optimWrapper = runner.optimWrapper;
    if (!optimWrapper) throw new Error('RuntimeInfoHook.beforeTrainIter: the runner has no optim wrapper (optim_wrapper is needed to train)');
    for (const [name, lr] of Object.entries(optimWrapper.getLr())) {
      runner.messageHub.updateScalar(`train/${name}`, lr[0]!);
    }
  }

  override afterTrainIter(runner: Runner, _batchIdx: number, _dataBatch: DataBatch, outputs: Record<string, number>): void {
    if (outputs === undefined || outputs === null) return;
    for (const [key, value] of Object.entries(outputs)) runner.messageHub.updateScalar(`train/${key}`, value);
  }

  override beforeVal(runner: Runner): void {
    this.#lastLoopStage = runner.messageHub.getInfo('loop_stage');
    runner.messageHub.updateInfo('loop_stage', 'val');
  }

  override afterValEpoch(runner: Runner, metrics: Metrics): void {
    this.#recordMetrics(runner, 'val', metrics);
  }

  /** A validation inside training hands the stage back to 'train'; a standalone one clears it. */
  override afterVal(runner: Runner): void {
    if (this.#lastLoopStage === 'train') {
      runner.messageHub.updateInfo('loop_stage', 'train');
      this.#lastLoopStage = null;
    } else {
      runner.messageHub.popInfo('loop_stage');
    }
  }

  override beforeTest(runner: Runner): void {
    runner.messageHub.updateInfo('loop_stage', 'test');
  }

  override afterTest(runner: Runner): void {
    runner.messageHub.popInfo('loop_stage');
  }

  override afterTestEpoch(runner: Runner, metrics: Metrics): void {
    this.#recordMetrics(runner, 'test', metrics);
  }

  /** Scalar metrics become `<mode>/<name>` scalars; others (per-class lists, tables) runtime info. */
  #recordMetrics(runner: Runner, mode: 'val' | 'test', metrics: Metrics | undefined): void {
    if (metrics === undefined || metrics === null) return;
    for (const [key, value] of Object.entries(metrics)) {
      if (isScalar(value)) runner.messageHub.updateScalar(`${mode}/${key}`, value as number);
      else runner.messageHub.updateInfo(`${mode}/${key}`, value);
    }
  }
}

HOOKS.register(RuntimeInfoHook);
