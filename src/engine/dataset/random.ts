// Seeded random numbers for samplers and data transforms, independent of libtorch's global RNG.
import { randomInt } from 'node:crypto';

const U64 = (1n << 64n) - 1n;

/** splitmix64 step, used only to spread a seed over the generator's state. */
function splitmix64(state: { x: bigint }): bigint {
  state.x = (state.x + 0x9e3779b97f4a7c15n) & U64;
  let z = state.x;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & U64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & U64;
  return z ^ (z >> 31n);
}

const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;

/**
 * xoshiro128** seeded through splitmix64: the same integer seed gives the same stream on every
 * platform and in every thread.
 */
export class SeededRandom {
  readonly #s = new Uint32Array(4);

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`SeededRandom: seed must be a safe integer, got ${seed}`);
    const state = { x: BigInt.asUintN(64, BigInt(seed)) };
    const a = splitmix64(state);
    const b = splitmix64(state);
    this.#s[0] = Number(a & 0xffffffffn);
    this.#s[1] = Number(a >> 32n);
    this.#s[2] = Number(b & 0xffffffffn);
    this.#s[3] = Number(b >> 32n);
  }

  /** The generator's position (four 32-bit words), for checkpoints. */
  stateDict(): { s: number[] } {
    return { s: Array.from(this.#s) };
  }

  loadStateDict(state: { s: number[] }): void {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4 || !state.s.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)) {
      throw new TypeError(`SeededRandom.loadStateDict: expected {s: [four uint32]}, got ${JSON.stringify(state)}`);
    }
    this.#s.set(state.s);
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** A float in [0, 1) with 53 random bits (Python's random.random()). */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer in [0, n), without modulo bias (numpy's randint(0, n)). */
  randint(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 0x100000000) throw new RangeError(`randint: n must be an integer in 1..2^32, got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Uint32Array {
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = this.randint(i + 1);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }
}

/** A fresh random seed in [0, 2^31) for samplers built with `seed: null` (MMEngine's sync_random_seed). */
export function randomSeed(): number {
  return randomInt(0, 2 ** 31);
}

/**
 * The seed of batch `batch` (0, 1, 2, ... over all epochs of a loader) on rank `rank` of a loader
 * whose base seed is `base`: the data random stream is reseeded with it before that batch's
 * samples load, so augmentations depend on the batch's place in the run only (not on the worker,
 * num_workers or a resume). With mix(x) = splitmix64's output function of x + 0x9e3779b97f4a7c15
 * over unsigned 64-bit integers: seed = mix(mix(mix(u64(base)) ^ u64(rank)) ^ u64(batch)) >> 11,
 * an integer in [0, 2^53).
 */
export function batchDataSeed(base: number, rank: number, batch: number): number {
  for (const [name, v] of [['base', base], ['rank', rank], ['batch', batch]] as const) {
    if (!Number.isSafeInteger(v)) throw new RangeError(`batchDataSeed: ${name} must be a safe integer, got ${v}`);
  }
  const mix = (x: bigint): bigint => splitmix64({ x });
  const h = mix(mix(mix(BigInt.asUintN(64, BigInt(base))) ^ BigInt.asUintN(64, BigInt(rank))) ^ BigInt.asUintN(64, BigInt(batch)));
  return Number(h >> 11n);
}

let dataRng = new SeededRandom(randomSeed());

/**
 * The random stream of data transforms and of BaseDataset's refetch in this thread (numpy's
 * global RNG in MMEngine). A DataLoader reseeds it before loading each batch, in the worker or
 * main thread that loads it, with batchDataSeed(loader seed, rank, batch number): the loader seed
 * is its `seed` option (the Runner's randomness.seed), the batch number counts the batches drawn
 * from the loader's batch sampler over all epochs and travels in the loader's stateDict, so a
 * resumed run and any num_workers see the same augmentations.
 */
export function dataRandom(): SeededRandom {
  return dataRng;
}

/** Reseeds this thread's data random stream (the Runner's randomness.seed; a DataLoader per batch). */
export function seedDataRandom(seed: number): void {
  dataRng = new SeededRandom(seed);
}
