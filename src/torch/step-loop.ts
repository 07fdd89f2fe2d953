// Running many training steps without starving the event loop: each step runs inside
// a tensor scope, then the loop yields so timers, signals, progress output and
// N-API finalizers get their turn (a synchronous loop starves them and memory grows).
import { tidy } from './memory.js';

/** Resolves on the next turn of the event loop (after I/O and finalizers). */
export const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export interface StepLoopOptions {
  /** First step index (for resuming). */
  start?: number;
  /** Stop early when this signal aborts (e.g. on SIGINT). */
  signal?: AbortSignal;
}

/**
 * Runs `step(i)` for i in [start, count), each inside tidy(); tensors it returns are
 * disposed after `onResult` has seen them. Returns the number of steps run.
 */
export async function runSteps<T>(
  count: number,
  step: (i: number) => T,
  onResult?: (result: T, i: number) => void | Promise<void>,
  opts: StepLoopOptions = {},
): Promise<number> {
  let ran = 0;
  for (let i = opts.start ?? 0; i < count; i++) {
    if (opts.signal?.aborted) break;
    tidy(() => {
      const result = step(i);
      if (onResult) {
        const r = onResult(result, i);
        if (r instanceof Promise) throw new Error('runSteps: onResult must be synchronous inside the step scope');
      }
    }, `step ${i}`);
    ran++;
    await yieldToEventLoop();
  }
  return ran;
}
