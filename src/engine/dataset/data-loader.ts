// DataLoader: batches from a dataset in sampler order, loaded in the main thread or in worker threads with prefetch.
import { z } from 'zod';
import { ConfigError, parseOptions, type KeyPath } from '../config/errors.js';
import type { DatasetSharedState } from './base-dataset.js';
import { BatchSampler } from './batch-sampler.js';
import { buildDataset, datasetConfigOf, isDataset, isPlainObject, type Dataset } from './build-dataset.js';
import { registeredFunctionName, resolveFunction, type CollateFn } from './collate.js';
import { DefaultSampler } from './default-sampler.js';
import { randomSeed } from './random.js';
import { isSampler, type BatchSamplerLike, type Sampler, type SamplerState } from './sampler.js';
import { WorkerPool } from './worker-pool.js';
import { DataLoaderError, type FunctionRef, type WorkerInit } from './worker-protocol.js';
import { assertPostable, moduleUrl } from './worker-setup.js';

type FunctionConfig = { type: string | ((...args: never[]) => unknown); [key: string]: unknown };
const functionOrConfig = <F>(what: string) =>
  z.custom<F | FunctionConfig>((v) => typeof v === 'function' || (isPlainObject(v) && (typeof v.type === 'string' || typeof v.type === 'function')),
    { error: `expected a function or a config {type: '<${what} registered in COLLATE_FUNCTIONS>'}` });

/** PyTorch DataLoader's arguments as MMEngine configs write them; defaults are PyTorch's (collate: MMEngine's pseudo_collate). */
export const dataLoaderSchema = z.object({
  batch_size: z.number().int().positive().default(1),
  sampler: z.custom<Sampler>(isSampler, { error: 'expected a sampler (an iterable of indices with a length)' }).optional(),
  batch_sampler: z.custom<BatchSamplerLike>(isSampler, { error: 'expected a batch sampler (an iterable of index lists with a length)' }).optional(),
  num_workers: z.number().int().nonnegative().default(0),
  persistent_workers: z.boolean().default(false),
  /** Batches in flight per worker; 2 when there are workers. */
  prefetch_factor: z.number().int().positive().nullable().default(null),
  drop_last: z.boolean().default(false),
  collate_fn: functionOrConfig<CollateFn>('collate function').default(() => ({ type: 'pseudo_collate' })),
  /** Called in each worker after seeding as fn(worker_id, extra config keys). */
  worker_init_fn: functionOrConfig<(workerId: number, options: Record<string, unknown>) => unknown>('function').optional(),
  /** Base seed of the workers' data random streams; null: random. */
  seed: z.number().int().nullable().default(null),
}).strict();
export type DataLoaderOptions = z.input<typeof dataLoaderSchema>;

/** What a DataLoader needs besides its config. */
export interface DataLoaderContext {
  /** Where the loader's config sits (['train_dataloader']), for error messages. */
  keyPath?: KeyPath;
  /** Modules (URLs or absolute paths) that register the datasets and transforms the dataset config names; workers import them first. */
  workerModules?: readonly (string | URL)[];
  rank?: number;
  worldSize?: number;
}

/**
 * `for await (const batch of loader)` yields one epoch of batches (endless with InfiniteSampler).
 * Batch k always holds the same indices whatever num_workers is: workers take batches round
 * robin and answers are yielded in order. Workers rebuild the dataset from its config (the
 * dataset must be given as a config or built with buildDataset), so a dataset instance with
 * num_workers > 0 is an error rather than a silent fallback to the main thread.
 */
export class DataLoader<Batch = unknown> implements AsyncIterable<Batch> {
  readonly dataset: Dataset;
  readonly batchSampler: BatchSamplerLike;
  /** The index sampler (for DistSamplerSeedHook's setEpoch); undefined for a batch sampler without one. */
  readonly sampler: Sampler | undefined;
  readonly batchSize: number | null;
  readonly numWorkers: number;
  readonly persistentWorkers: boolean;
  readonly prefetchFactor: number;
  readonly dropLast: boolean;
  readonly seed: number;
  readonly #collate: (samples: unknown[]) => unknown;
  readonly #workerInit: Omit<WorkerInit, 'workerId' | 'seed'> | null = null;
  readonly #worldSize: number;
  #pool: WorkerPool | null = null;
  #poolsStarted = 0;
  #active = false;
  /** The sampler state after the last batch handed out by the running iteration. */
  #delivered: SamplerState | undefined;

  constructor(dataset: Dataset | Record<string, unknown>, options: unknown = {}, context: DataLoaderContext = {}) {
    const keyPath = context.keyPath ?? [];
    const opts = parseOptions(dataLoaderSchema, options, keyPath);
    if (isDataset(dataset)) this.dataset = dataset;
    else if (isPlainObject(dataset)) this.dataset = buildDataset(dataset, { keyPath: [...keyPath, 'dataset'] });
    else throw new ConfigError([...keyPath, 'dataset'], `expected a dataset or a dataset config {type: ...}, got ${JSON.stringify(dataset)}`);
    this.numWorkers = opts.num_workers;
    if (opts.persistent_workers && this.numWorkers === 0) throw new ConfigError([...keyPath, 'persistent_workers'], 'needs num_workers > 0');
    if (opts.prefetch_factor !== null && this.numWorkers === 0) throw new ConfigError([...keyPath, 'prefetch_factor'], 'needs num_workers > 0');
    this.persistentWorkers = opts.persistent_workers;
    this.prefetchFactor = opts.prefetch_factor ?? 2;
    this.dropLast = opts.drop_last;
    this.seed = opts.seed ?? randomSeed();
    this.#worldSize = context.worldSize ?? 1;

    if (opts.batch_sampler) {
      if (opts.sampler || opts.batch_size !== 1 || opts.drop_last) {
        throw new ConfigError([...keyPath, 'batch_sampler'], 'is mutually exclusive with sampler, batch_size and drop_last');
      }
      this.batchSampler = opts.batch_sampler;
      this.sampler = opts.batch_sampler.sampler;
      this.batchSize = null;
    } else {
      this.sampler = opts.sampler ?? new DefaultSampler({ shuffle: false, round_up: false }, this.dataset);
      this.batchSampler = new BatchSampler({ batch_size: opts.batch_size, drop_last: opts.drop_last }, this.sampler);
      this.batchSize = opts.batch_size;
    }

    const collate = this.#functionRef<CollateFn>(opts.collate_fn, [...keyPath, 'collate_fn']);
    this.#collate = (samples) => collate.fn(samples, collate.ref?.options ?? {});
    const workerInit = opts.worker_init_fn ? this.#functionRef(opts.worker_init_fn, [...keyPath, 'worker_init_fn']) : null;
    if (this.numWorkers > 0) {
      const why = `num_workers is ${this.numWorkers}`;
      const datasetCfg = datasetConfigOf(this.dataset);
      if (!datasetCfg) {
        throw new ConfigError([...keyPath, 'dataset'],
          `num_workers ${this.numWorkers} needs the dataset as a config {type: ...} so each worker can build its own copy, but this ` +
          `${this.dataset.constructor.name} instance was not built from one; pass its config (or build it with buildDataset), or set num_workers: 0`);
      }
      assertPostable(datasetCfg, [...keyPath, 'dataset'], why);
      if (workerInit && !workerInit.ref) assertPostable(opts.worker_init_fn, [...keyPath, 'worker_init_fn'], why);
      const shared = (this.dataset as { sharedState?: () => DatasetSharedState | null }).sharedState?.() ?? null;
      this.#workerInit = {
        numWorkers: this.numWorkers,
        rank: context.rank ?? 0,
        modules: (context.workerModules ?? []).map(moduleUrl),
        dataset: datasetCfg,
        keyPath: [...keyPath, 'dataset'],
        shared,
        // A collate function the workers cannot look up by name runs here in the main thread.
        collate: collate.ref,
        workerInitFn: workerInit?.ref ?? null,
      };
      if (collate.ref) assertPostable(collate.ref.options, [...keyPath, 'collate_fn'], why);
      if (workerInit?.ref) assertPostable(workerInit.ref.options, [...keyPath, 'worker_init_fn'], why);
    }
  }

  /** A function given directly or as {type: name, ...options}; `ref` is set when workers can look it up by name. */
  #functionRef<F>(value: F | FunctionConfig, keyPath: KeyPath): { fn: F; ref: FunctionRef | null } {
    if (typeof value === 'function') {
      const name = registeredFunctionName(value);
      return { fn: value as F, ref: name ? { name, options: {} } : null };
    }
    const { type, ...options } = value as FunctionConfig;
    if (typeof type === 'string') return { fn: resolveFunction<F>(type, keyPath), ref: { name: type, options } };
    const name = registeredFunctionName(type);
    return { fn: type as F, ref: name ? { name, options } : null };
  }

  /** Batches per epoch. */
  get length(): number {
    return this.batchSampler.length;
  }

  /** The worker threads' ids while workers run (empty otherwise). */
  get workerThreadIds(): number[] {
    return this.#pool?.threadIds ?? [];
  }

  /** Whether stateDict/loadStateDict work (the sampler saves its position). */
  get resumable(): boolean {
    const bs = this.batchSampler;
    if (typeof bs.stateDict !== 'function' || typeof bs.loadStateDict !== 'function') return false;
    return !(bs instanceof BatchSampler) || (typeof bs.sampler.stateDict === 'function' && typeof bs.sampler.loadStateDict === 'function');
  }

  /**
   * The sampler position after the batches handed out so far (not counting batches prefetched
   * but not yet yielded), for checkpoints; loadStateDict continues from there.
   */
  stateDict(): SamplerState {
    if (!this.resumable) throw new Error(`DataLoader: ${this.batchSampler.constructor.name} cannot save its position (no stateDict), so this loader cannot be resumed`);
    return this.#active && this.#delivered ? { ...this.#delivered } : this.batchSampler.stateDict!();
  }

  loadStateDict(state: SamplerState): void {
    if (this.#active) throw new Error('DataLoader.loadStateDict: the loader is being iterated; load the state before the loop starts');
    if (!this.resumable) throw new Error(`DataLoader: ${this.batchSampler.constructor.name} cannot load a position (no loadStateDict)`);
    this.batchSampler.loadStateDict!(state);
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.#iterate();
  }

  async *#iterate(): AsyncGenerator<Batch> {
    if (this.#active) throw new Error('DataLoader: it is already being iterated; finish or break the other loop first (an iterator driven by hand needs return())');
    this.#active = true;
    const resumable = this.resumable;
    const snapshot = (): SamplerState | undefined => (resumable ? this.batchSampler.stateDict!() : undefined);
    this.#delivered = snapshot();
    const batches = this.batchSampler[Symbol.iterator]();
    try {
      if (this.numWorkers === 0) {
        for (let next = batches.next(); !next.done; next = batches.next()) {
          const state = snapshot();
          const batch = await this.#loadHere(next.value);
          this.#delivered = state;
          yield batch as Batch;
        }
      } else {
        yield* this.#iterateWorkers(batches, snapshot);
      }
    } finally {
      // Prefetching read the sampler ahead; put it back where the consumer stopped.
      if (resumable && this.#delivered) this.batchSampler.loadStateDict!(this.#delivered);
      this.#pool?.cancelAll();
      if (!this.persistentWorkers) await this.close();
      this.#active = false;
      this.#delivered = undefined;
    }
  }

  async *#iterateWorkers(batches: Iterator<number[]>, snapshot: () => SamplerState | undefined): AsyncGenerator<Batch> {
    const pool = this.#startPool();
    const limit = this.numWorkers * this.prefetchFactor;
    const inflight: { batch: Promise<unknown>; indices: number[]; state: SamplerState | undefined }[] = [];
    let sent = 0;
    let exhausted = false;
    const fill = (): void => {
      while (!exhausted && inflight.length < limit) {
        const next = batches.next();
        if (next.done) {
          exhausted = true;
          return;
        }
        const batch = pool.fetch(sent++ % this.numWorkers, next.value);
        batch.catch(() => {}); // awaited in order below; this only marks it handled meanwhile
        inflight.push({ batch, indices: next.value, state: snapshot() });
      }
    };
    fill();
    while (inflight.length > 0) {
      const head = inflight[0]!;
      let batch = await head.batch;
      inflight.shift();
      fill();
      if (!this.#workerInit!.collate) batch = this.#collateHere(batch as unknown[], head.indices);
      this.#delivered = head.state;
      yield batch as Batch;
    }
  }

  #startPool(): WorkerPool {
    if (this.#pool) return this.#pool;
    const init = this.#workerInit!;
    // Each start of workers gets its own seeds, so non-persistent workers do not replay the same augmentations every epoch.
    const base = this.seed + this.#poolsStarted++ * this.numWorkers * this.#worldSize;
    const inits = Array.from({ length: this.numWorkers }, (_, workerId): WorkerInit => ({ ...init, workerId, seed: base }));
    this.#pool = new WorkerPool(inits, this.dataset.constructor.name);
    return this.#pool;
  }

  async #loadHere(indices: number[]): Promise<unknown> {
    const samples: unknown[] = [];
    for (const index of indices) {
      try {
        samples.push(await this.dataset.getItem(index));
      } catch (err) {
        throw new DataLoaderError(index, indices, null, this.dataset.constructor.name, (err as Error).message ?? String(err), undefined, err);
      }
    }
    return this.#collateHere(samples, indices);
  }

  #collateHere(samples: unknown[], indices: number[]): unknown {
    try {
      return this.#collate(samples);
    } catch (err) {
      throw new DataLoaderError(null, indices, null, this.dataset.constructor.name, (err as Error).message ?? String(err), undefined, err);
    }
  }

  /** Stops the workers (persistent ones live until this is called; the next iteration starts new ones). */
  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = null;
    await pool?.close();
  }
}
