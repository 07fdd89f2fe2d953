// Loads the libtorch addon built by `npm run build:native` and types its surface.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque libtorch tensor reference owned by a JS handle. */
export type TensorHandle = { readonly __tensorHandle: unique symbol };
/** An opaque libtorch random generator. */
export type GeneratorHandle = { readonly __generatorHandle: unique symbol };

export interface NativeAddon {
  fromBuffer(data: ArrayBufferView, shape: readonly number[], dtype: number, device?: string): TensorHandle;
  toBuffer(t: TensorHandle): ArrayBuffer;
  item(t: TensorHandle): number | boolean;
  shape(t: TensorHandle): number[];
  strides(t: TensorHandle): number[];
  dtype(t: TensorHandle): number;
  device(t: TensorHandle): string;
  numel(t: TensorHandle): number;
  dispose(t: TensorHandle): void;
  /** Tells V8 the tensor's bytes (once), for handles whose release is left to the garbage collector. */
  reportExternal(t: TensorHandle): void;
  isDisposed(t: TensorHandle): boolean;
  isTensor(v: unknown): boolean;
  sameTensor(a: TensorHandle, b: TensorHandle): boolean;
  dataPtr(t: TensorHandle): number;
  liveHandles(): number;
  /** Bytes of live tensors currently reported to V8 (the ones left to the garbage collector). */
  reportedBytes(): number;
  newGenerator(seed: number, device?: string): GeneratorHandle;
  generatorSeed(g: GeneratorHandle, seed: number): void;

  opId(name: string, overload?: string): number;
  opSchema(id: number): string;
  op(id: number, ...args: unknown[]): unknown;
  opVoid(id: number, ...args: unknown[]): void;

  requiresGrad(t: TensorHandle): boolean;
  setRequiresGrad(t: TensorHandle, flag: boolean): void;
  isLeaf(t: TensorHandle): boolean;
  grad(t: TensorHandle): TensorHandle | null;
  setGrad(t: TensorHandle, g: TensorHandle | null): void;
  retainGrad(t: TensorHandle): void;
  gradFnName(t: TensorHandle): string | null;
  backward(tensors: TensorHandle[], grads: (TensorHandle | null)[] | null, retainGraph: boolean, createGraph: boolean): void;
  autogradGrad(
    outputs: TensorHandle[], inputs: TensorHandle[], gradOutputs: (TensorHandle | null)[] | null,
    retainGraph: boolean | undefined, createGraph: boolean, allowUnused: boolean,
  ): (TensorHandle | null)[];
  isGradEnabled(): boolean;
  setGradEnabled(flag: boolean): void;

  setNumThreads(n: number): void;
  getNumThreads(): number;
  manualSeed(seed: number): void;
  setDeterministic(on: boolean, warnOnly?: boolean): void;
  getRngState(): TensorHandle;
  setRngState(state: TensorHandle): void;
  mallocTrim(): boolean;
  cudaDeviceCount(): number;
  cudaSynchronize(): void;
  version(): string;
  hasMkldnn(): boolean;
  autocastState(cuda: boolean): { enabled: boolean; dtype: number };
  setAutocast(cuda: boolean, enabled: boolean, dtype: number): void;
  autocastIncrementNesting(): number;
  autocastDecrementNesting(): number;
}

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('segkit: cannot find the package root above ' + fileURLToPath(import.meta.url));
    dir = up;
  }
  return dir;
}

function load(): NativeAddon {
  const file = process.env.SEGKIT_NATIVE ?? join(packageRoot(), 'build', 'native', 'Release', 'segkit_native.node');
  if (!existsSync(file)) {
    throw new Error(`segkit: native addon not found at ${file}; build it with 'npm run build:native'`);
  }
  return createRequire(import.meta.url)(file) as NativeAddon;
}

export const native: NativeAddon = load();
