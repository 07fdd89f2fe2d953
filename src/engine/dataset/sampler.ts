// What the DataLoader expects of samplers and batch samplers, and the state that makes them resumable.

/** Anything with a length: samplers only need the dataset's size. */
export interface Sized {
  readonly length: number;
}

/** Yields dataset indices; `length` is the number per epoch (per rank). */
export interface Sampler extends Iterable<number> {
  readonly length: number;
  /** Called by the train loop (DistSamplerSeedHook) at the start of each epoch. */
  setEpoch?(epoch: number): void;
  stateDict?(): SamplerState;
  loadStateDict?(state: SamplerState): void;
}

/** Yields whole batches of dataset indices; `length` is batches per epoch. */
export interface BatchSamplerLike extends Iterable<number[]> {
  readonly length: number;
  /** The wrapped index sampler, where there is one (PyTorch's batch_sampler.sampler). */
  readonly sampler?: Sampler;
  stateDict?(): SamplerState;
  loadStateDict?(state: SamplerState): void;
}

/**
 * Where a sampler stands: enough to continue with the same indices after a restart without
 * reading the skipped samples. Plain JSON, stored in checkpoints.
 */
export type SamplerState = Record<string, number | string | boolean | null>;

/** This process's place in a distributed run; samplers default to a single process. */
export interface DistInfo {
  rank?: number;
  worldSize?: number;
}

/** Validates rank / world size, naming the sampler in the error. */
export function distInfo(owner: string, dist: DistInfo): { rank: number; worldSize: number } {
  const rank = dist.rank ?? 0;
  const worldSize = dist.worldSize ?? 1;
  if (!Number.isInteger(worldSize) || worldSize < 1) throw new RangeError(`${owner}: world size must be an integer >= 1, got ${worldSize}`);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new RangeError(`${owner}: rank must be an integer in 0..${worldSize - 1}, got ${rank}`);
  return { rank, worldSize };
}

/** Reads an integer field of a saved sampler state, naming the sampler and field when it is wrong. */
export function stateInt(owner: string, state: SamplerState, key: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = state[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${owner}.loadStateDict: '${key}' must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function isSampler(v: unknown): v is Sampler {
  return typeof v === 'object' && v !== null && typeof (v as Sampler)[Symbol.iterator] === 'function' && typeof (v as Sampler).length === 'number';
}
