// The messages between a DataLoader and its worker threads, and the error that carries a worker's failure home.
import type { DatasetSharedState } from './base-dataset.js';
import type { DatasetConfig } from './build-dataset.js';

/** A registered function by name plus the extra keys of its config. */
export interface FunctionRef {
  name: string;
  options: Record<string, unknown>;
}

/** Everything a worker needs to rebuild the dataset by itself (its workerData). */
export interface WorkerInit {
  workerId: number;
  numWorkers: number;
  rank: number;
  /**
   * Base seed; the worker seeds its data random stream with numWorkers * rank + workerId + seed
   * at start (what worker_init_fn sees); each batch then reseeds it with its own `seed`.
   */
  seed: number;
  /** Module URLs imported before building, so DATASETS and TRANSFORMS hold what the config names. */
  modules: string[];
  dataset: DatasetConfig;
  /** Where the dataset config sits, for error messages (['train_dataloader', 'dataset']). */
  keyPath: (string | number)[];
  /** The main thread's serialized annotations, so the worker does not load them again. */
  shared: DatasetSharedState | null;
  /** Collate in the worker with this function; null: send the samples and collate in the main thread. */
  collate: FunctionRef | null;
  workerInitFn: FunctionRef | null;
}

/** `seed`: the data random stream's seed for this batch (batchDataSeed), set before its samples load. */
export type ToWorker = { type: 'fetch'; id: number; indices: number[]; seed: number } | { type: 'cancel' };

export interface ErrorInfo {
  name: string;
  message: string;
  /** The stack, followed by the stacks of its causes. */
  stack: string;
}

export type FromWorker =
  | { type: 'ready' }
  | { type: 'init-error'; error: ErrorInfo }
  | { type: 'result'; id: number; batch: unknown }
  | { type: 'error'; id: number; index: number | null; error: ErrorInfo };

export function errorInfo(err: unknown): ErrorInfo {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err), stack: String(err) };
  let stack = err.stack ?? `${err.name}: ${err.message}`;
  for (let cause = err.cause, depth = 0; cause instanceof Error && depth < 5; cause = cause.cause, depth++) {
    stack += `\nCaused by: ${cause.stack ?? cause.message}`;
  }
  return { name: err.name, message: err.message, stack };
}

/**
 * Loading a batch failed. `index` is the dataset index whose getItem threw (null when collating
 * or posting failed); `workerId` is null when the main thread loaded it. A worker's stack is
 * kept in `workerStack` and shown under this error's own stack.
 */
export class DataLoaderError extends Error {
  constructor(
    readonly index: number | null,
    readonly indices: readonly number[],
    readonly workerId: number | null,
    datasetName: string,
    detail: string,
    readonly workerStack?: string,
    cause?: unknown,
  ) {
    const where = workerId === null ? '' : `DataLoader worker ${workerId}: `;
    const what = index === null ? `batch of dataset indices [${indices.join(', ')}]` : `dataset index ${index}`;
    super(`${where}${what} (${datasetName}): ${detail}`, { cause });
    this.name = 'DataLoaderError';
    if (workerStack !== undefined) this.stack = `${this.name}: ${this.message}\n--- stack in DataLoader worker ${workerId} ---\n${workerStack}`;
  }
}
