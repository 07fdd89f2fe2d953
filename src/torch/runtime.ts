// Process-wide controls: threads, seeds and generators, determinism, devices.
import { availableParallelism } from 'node:os';
import { native, type GeneratorHandle } from './native.js';
import { Tensor } from './tensor.js';

let threadsSet = false;

/** libtorch's intra-op threads for this (the calling) thread; set once, not per step (it resets oneDNN caches). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  native.setNumThreads(n);
  threadsSet = true;
}

export const getNumThreads = (): number => native.getNumThreads();

/** Default: one thread per core (libtorch would otherwise pick 1 here). */
export function ensureDefaultThreads(): void {
  if (!threadsSet) setNumThreads(Number(process.env.SEGKIT_NUM_THREADS ?? availableParallelism()));
}

/** Seeds libtorch's default generators (CPU and CUDA). */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`manualSeed: expected a non-negative integer, got ${seed}`);
  native.manualSeed(seed);
}

/** Deterministic algorithms where libtorch offers them; ops without one raise (or warn with warnOnly). */
export function useDeterministicAlgorithms(on: boolean, warnOnly = false): void {
  native.setDeterministic(on, warnOnly);
}

/** A random generator of its own, for reproducible streams independent of the global seed. */
export class Generator {
  readonly handle: GeneratorHandle;
  constructor(seed = 0, readonly device = 'cpu') {
    this.handle = native.newGenerator(seed, device);
  }
  manualSeed(seed: number): this {
    native.generatorSeed(this.handle, seed);
    return this;
  }
}

export const cuda = {
  isAvailable: (): boolean => native.cudaDeviceCount() > 0,
  deviceCount: (): number => native.cudaDeviceCount(),
  synchronize: (): void => native.cudaSynchronize(),
};

export const libtorchVersion = (): string => native.version();

/** Validates a device string and that the device exists. */
export function checkDevice(device: string): string {
  const m = /^(cpu|cuda)(?::(\d+))?$/.exec(device);
  if (!m) throw new TypeError(`unknown device '${device}': expected 'cpu', 'cuda' or 'cuda:N'`);
  if (m[1] === 'cuda') {
    const n = native.cudaDeviceCount();
    const index = m[2] === undefined ? 0 : Number(m[2]);
    if (index >= n) throw new Error(`device '${device}' is not available: this libtorch sees ${n} CUDA device(s)`);
  }
  return device;
}

/** The default CPU generator's state (uint8 tensor), as torch.get_rng_state(). */
export const getRngState = (): Tensor => new Tensor(native.getRngState());
/** Restores a state from getRngState(), as torch.set_rng_state(). */
export const setRngState = (state: Tensor): void => native.setRngState(state.handle);
/** Hands freed heap pages back to the OS (glibc malloc_trim); true if memory was released. */
export const mallocTrim = (): boolean => native.mallocTrim();
