// DataLoader: batches from a dataset in sampler order, loaded in the main thread or in worker threads with prefetch.
import { z } from 'zod';
import { ConfigError, parseOptions, type KeyPath } from '../config/errors.js';
import type { DatasetSharedState } from './base-dataset.js';
import { BatchSampler } from './batch-sampler.js';
import { buildDataset, datasetConfigOf, isDataset, isPlainObject, type Dataset } from './build-dataset.js';
import { registeredFunctionName, resolveFunction, type CollateFn } from './collate.js';
import { DefaultSampler } from './default-sampler.js';
import { InfiniteSampler } from './infinite-sampler.js';
import { batchDataSeed, randomSeed, seedDataRandom } from './random.js';
import { isSampler, stateInt, type BatchSamplerLike, type Sampler, type SamplerState } from './sampler.js';
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
  /** Base seed of the per-batch data random seeds (batchDataSeed); null: random. */
  seed: z.number().int().nullable().default(null),
}).strict();
export type DataLoaderOptions = z.input<typeof dataLoaderSchema>;

/** Keys the loader adds to its sampler's state: batches handed out so far (all epochs), and its base seed. */
export const LOADER_BATCHES_KEY = 'loader_batches';
export const LOADER_SEED_KEY = 'loader_seed';

/** Where the loader stands: its sampler's state and the number of the next batch. */
interface Position {
  sampler: SamplerState | undefined;
  batches: number;
}

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
 * Batches are numbered 0, 1, 2, ... as they are drawn from the batch sampler, over all epochs;
 * batch k loads after its thread's data random stream is reseeded with
 * batchDataSeed(seed, rank, k), so its augmentations are the same for any num_workers and after
 * a resume (the number and the seed are part of stateDict()).
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
  #seed: number;
  readonly #rank: number;
  readonly #collate: (samples: unknown[]) => unknown;
  readonly #workerInit: Omit<WorkerInit, 'workerId' | 'seed'> | null = null;
  #pool: WorkerPool | null = null;
  #active = false;
  /** The number of the next batch drawn from the batch sampler (drawn ahead while prefetching). */
  #nextBatch = 0;
  /** The position after the last batch handed out by the running iteration. */
  #delivered: Position | undefined;

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
    this.#seed = opts.seed ?? randomSeed();
    this.#rank = context.rank ?? 0;

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

  /** Base seed of the per-batch data random seeds (a loaded stateDict brings its own). */
  get seed(): number {
    return this.#seed;
  }

  /** The number of the next batch to hand out (batches handed out so far, over all epochs). */
  get batchesDelivered(): number {
    return this.#active && this.#delivered ? this.#delivered.batches : this.#nextBatch;
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
   * but not yet yielded), plus `loader_batches` (the next batch's number) and `loader_seed`, for
   * checkpoints; loadStateDict continues from there.
   */
  stateDict(): SamplerState {
    if (!this.resumable) throw new Error(`DataLoader: ${this.batchSampler.constructor.name} cannot save its position (no stateDict), so this loader cannot be resumed`);
    const sampler = this.#active && this.#delivered?.sampler ? this.#delivered.sampler : this.batchSampler.stateDict!();
    return { ...sampler, [LOADER_BATCHES_KEY]: this.batchesDelivered, [LOADER_SEED_KEY]: this.#seed };
  }

  /**
   * Restores a stateDict(). A state saved before batches were numbered (no `loader_batches`)
   * restarts the count where an uninterrupted run of this loader would stand, derived from a
   * BatchSampler's DefaultSampler (epoch x batches per epoch + batches of the position) or
   * InfiniteSampler (batches of the position) state, else at 0; without `loader_seed` the
   * loader keeps its own seed.
   */
  loadStateDict(state: SamplerState): void {
    if (this.#active) throw new Error('DataLoader.loadStateDict: the loader is being iterated; load the state before the loop starts');
    if (!this.resumable) throw new Error(`DataLoader: ${this.batchSampler.constructor.name} cannot load a position (no loadStateDict)`);
    if (!isPlainObject(state)) throw new TypeError(`DataLoader.loadStateDict: expected the object stateDict() returned, got ${JSON.stringify(state)}`);
    const { [LOADER_BATCHES_KEY]: batches, [LOADER_SEED_KEY]: seed, ...samplerState } = state;
    const nextBatch = batches === undefined ? null : stateInt('DataLoader', state, LOADER_BATCHES_KEY, 0);
    const newSeed = seed === undefined ? this.#seed : stateInt('DataLoader', state, LOADER_SEED_KEY, Number.MIN_SAFE_INTEGER);
    this.batchSampler.loadStateDict!(samplerState);
    this.#nextBatch = nextBatch ?? this.#batchesBefore(samplerState);
    this.#seed = newSeed;
  }

  /** The batches an uninterrupted run would have drawn to reach a (pre-numbering) sampler state; 0 if unknown. */
  #batchesBefore(state: SamplerState): number {
    const bs = this.batchSampler;
    const position = state.position;
    if (!(bs instanceof BatchSampler) || typeof position !== 'number' || !Number.isInteger(position) || position < 0) return 0;
    const batches = Math.ceil(position / bs.batchSize);
    if (bs.sampler instanceof InfiniteSampler) return batches;
    if (bs.sampler instanceof DefaultSampler && typeof state.epoch === 'number' && Number.isInteger(state.epoch) && state.epoch >= 0) {
      return state.epoch * bs.length + Math.min(batches, bs.length);
    }
    return 0;
  }

  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.#iterate();
  }

  async *#iterate(): AsyncGenerator<Batch> {
    if (this.#active) throw new Error('DataLoader: it is already being iterated; finish or break the other loop first (an iterator driven by hand needs return())');
    this.#active = true;
    const resumable = this.resumable;
    const position = (): Position => ({ sampler: resumable ? this.batchSampler.stateDict!() : undefined, batches: this.#nextBatch });
    this.#delivered = position();
    const batches = this.batchSampler[Symbol.iterator]();
    try {
      if (this.numWorkers === 0) {
        for (let next = batches.next(); !next.done; next = batches.next()) {
          const seed = this.#batchSeed();
          const state = position();
          seedDataRandom(seed);
          const batch = await this.#loadHere(next.value);
          this.#delivered = state;
          yield batch as Batch;
        }
      } else {
        yield* this.#iterateWorkers(batches, position);
      }
    } finally {
      // Prefetching read the sampler ahead; put it (and the batch count) back where the consumer stopped.
      if (resumable && this.#delivered?.sampler) {
        this.batchSampler.loadStateDict!(this.#delivered.sampler);
        this.#nextBatch = this.#delivered.batches;
      }
      this.#pool?.cancelAll();
      if (!this.persistentWorkers) await this.close();
      this.#active = false;
      this.#delivered = undefined;
    }
  }

  /** The data random seed of the batch just drawn; advances the batch count. */
  #batchSeed(): number {
    return batchDataSeed(this.#seed, this.#rank, this.#nextBatch++);
  }

  async *#iterateWorkers(batches: Iterator<number[]>, position: () => Position): AsyncGenerator<Batch> {
    const pool = this.#startPool();
    const limit = this.numWorkers * this.prefetchFactor;
    const inflight: { batch: Promise<unknown>; indices: number[]; state: Position }[] = [];
    let sent = 0;
    let exhausted = false;
    const fill = (): void => {
      while (!exhausted && inflight.length < limit) {
        const next = batches.next();
        if (next.done) {
          exhausted = true;
          return;
        }
        const batch = pool.fetch(sent++ % this.numWorkers, next.value, this.#batchSeed());
        batch.catch(() => {}); // awaited in order below; this only marks it handled meanwhile
        inflight.push({ batch, indices: next.value, state: position() });
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
    // The seed only matters until a worker's first batch (worker_init_fn): every batch brings its own.
    const inits = Array.from({ length: this.numWorkers }, (_, workerId): WorkerInit => ({ ...init, workerId, seed: this.#seed }));
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
