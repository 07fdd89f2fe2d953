// IterTimerHook: how long each iteration and its data loading took (`<mode>/time`, `<mode>/data_time`
// in the message hub) and the estimated time left (`eta` runtime info), as MMEngine measures them.
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { parseOptions } from '../config/errors.js';
import { HOOKS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { Hook, type Mode } from './hook.js';

export const iterTimerHookSchema = z.object({}).strict();

export class IterTimerHook extends Hook {
  static override priority = 'NORMAL';
  /** Train iteration time summed since this run's first iteration (for eta). */
  timeSecTotal = 0;
  /** Val/test iteration time summed within the current epoch. */
  timeSecTestVal = 0;
  /** runner.iter when training (re)started: a resumed run averages only its own iterations. */
  startIter = 0;
  /** When the current iteration's data loading began (end of the previous iteration or epoch start). */
  #t: number;

  constructor(options: unknown = {}) {
    super();
    parseOptions(iterTimerHookSchema, options);
    this.#t = this.now();
  }

  /** Seconds on a monotonic clock (MMEngine uses time.time(); only differences matter). */
  protected now(): number {
    return performance.now() / 1000;
  }

  override beforeTrain(runner: Runner): void {
    this.startIter = runner.iter;
  }

  override beforeTrainEpoch(_runner: Runner): void { this.#beforeEpoch(); }
  override beforeValEpoch(_runner: Runner): void { this.#beforeEpoch(); }
  override beforeTestEpoch(_runner: Runner): void { this.#beforeEpoch(); }
  override afterTrainEpoch(_runner: Runner): void { this.#afterEpoch(); }
  override afterValEpoch(_runner: Runner): void { this.#afterEpoch(); }
  override afterTestEpoch(_runner: Runner): void { this.#afterEpoch(); }
  override beforeTrainIter(runner: Runner): void { this.#beforeIter(runner, 'train'); }
  override beforeValIter(runner: Runner): void { this.#beforeIter(runner, 'val'); }
  override beforeTestIter(runner: Runner): void { this.#beforeIter(runner, 'test'); }
  override afterTrainIter(runner: Runner, batchIdx: number): void { this.#afterIter(runner, batchIdx, 'train'); }
  override afterValIter(runner: Runner, batchIdx: number): void { this.#afterIter(runner, batchIdx, 'val'); }
  override afterTestIter(runner: Runner, batchIdx: number): void { this.#afterIter(runner, batchIdx, 'test'); }

  #beforeEpoch(): void {
    this.#t = this.now();
  }

  #afterEpoch(): void {
    this.timeSecTestVal = 0;
  }

  #beforeIter(runner: Runner, mode: Mode): void {
    runner.messageHub.updateScalar(`${mode}/data_time`, this.now() - this.#t);
  }

  /** `time` runs from the end of the previous iteration, so it includes data loading, as MMEngine's. */
  #afterIter(runner: Runner, batchIdx: number, mode: Mode): void {
    const hub = runner.messageHub;
    hub.updateScalar(`${mode}/time`, this.now() - this.#t);
    this.#t = this.now();
    const iterTime = hub.getScalar(`${mode}/time`).current();
    if (mode === 'train') {
      this.timeSecTotal += iterTime;
      const average = this.timeSecTotal / (runner.iter - this.startIter + 1);
      hub.updateInfo('eta', average * (runner.maxIters - runner.iter - 1));
    } else {
      this.timeSecTestVal += iterTime;
      const average = this.timeSecTestVal / (batchIdx + 1);
      hub.updateInfo('eta', average * (runner.dataloaderLength(mode) - batchIdx - 1));
    }
  }
}

HOOKS.register(IterTimerHook);
