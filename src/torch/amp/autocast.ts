// Autocast regions (torch.autocast): ops in libtorch's autocast lists run in bfloat16/float16 inside them.
//
// libtorch keeps the autocast state (enabled flag, target dtype, nesting depth) per
// OS thread, and its C++ API has no guard object, so the scope is built here. Every
// segkit call runs on Node's main thread, so a region is visible to all code that runs
// on that thread until it ends, including other async tasks if the region spans an
// `await`: prefer autocast(fn) with a synchronous fn, and keep enterAutocast/exitAutocast
// regions short and strictly nested.
import { native } from '../native.js';
import { dtypeCode, dtypeName } from '../dtype.js';
import { cuda } from '../runtime.js';

export type AutocastDeviceType = 'cpu' | 'cuda';
export type AutocastDType = 'bfloat16' | 'float16';

export interface AutocastOptions {
  deviceType: AutocastDeviceType;
  /** Default: the thread's current autocast dtype for the device (bfloat16 on CPU, float16 on CUDA unless changed). */
  dtype?: AutocastDType;
  /** false runs the region with autocast off (e.g. a float32 island inside an autocast region). Default true. */
  enabled?: boolean;
  /**
   * libtorch's cast cache for leaf weights is always on here (PyTorch's default); the
   * native addon cannot switch it off, so `false` raises.
   */
  cacheEnabled?: boolean;
}

/** An open region from enterAutocast, closed by exitAutocast. */
export interface AutocastToken {
  readonly deviceType: AutocastDeviceType;
  readonly dtype: AutocastDType;
  readonly enabled: boolean;
}

interface OpenRegion {
  token: AutocastToken;
  prevEnabled: boolean;
  prevDtype: number;
}

// Regions entered through this module, innermost last: exits must come in reverse order.
const open: OpenRegion[] = [];

/** The thread's current autocast state for a device (torch.is_autocast_enabled / get_autocast_*_dtype). */
export function autocastState(deviceType: AutocastDeviceType): { enabled: boolean; dtype: AutocastDType } {
  const s = native.autocastState(checkDeviceType(deviceType) === 'cuda');
  return { enabled: s.enabled, dtype: dtypeName(s.dtype) as AutocastDType };
}

function checkDeviceType(deviceType: unknown): AutocastDeviceType {
  if (deviceType !== 'cpu' && deviceType !== 'cuda') {
    throw new TypeError(`autocast: deviceType must be 'cpu' or 'cuda', got ${JSON.stringify(deviceType)}`);
  }
  return deviceType;
}

function resolve(opts: AutocastOptions): AutocastToken {
  const deviceType = checkDeviceType(opts?.deviceType);
  const enabled = opts.enabled ?? true;
  const dtype = opts.dtype ?? autocastState(deviceType).dtype;
  if (dtype !== 'bfloat16' && dtype !== 'float16') {
    throw new TypeError(`autocast: dtype must be 'bfloat16' or 'float16', got ${JSON.stringify(dtype)}`);
  }
  if (opts.cacheEnabled === false) {
    throw new Error("autocast: cacheEnabled: false is not supported (segkit's native addon cannot switch off libtorch's autocast cache)");
  }
  if (enabled && deviceType === 'cpu' && dtype === 'float16') {
    throw new Error("autocast: float16 is not supported on CPU (libtorch's CPU autocast only supports bfloat16); use dtype 'bfloat16'");
  }
  if (enabled && deviceType === 'cuda' && !cuda.isAvailable()) {
    throw new Error("autocast: deviceType 'cuda' but CUDA is not available in this libtorch; use deviceType 'cpu'");
  }
  return Object.freeze({ deviceType, dtype, enabled });
}

/**
 * Opens an autocast region and returns its token; pair it with exitAutocast(token),
 * in reverse order of entry. For code that cannot wrap a callback (a context held
 * across calls); autocast(fn) is the safer form.
 */
export function enterAutocast(opts: AutocastOptions): AutocastToken {
  const token = resolve(opts);
  const isCuda = token.deviceType === 'cuda';
  const prev = native.autocastState(isCuda);
  native.setAutocast(isCuda, token.enabled, dtypeCode(token.dtype));
  native.autocastIncrementNesting();
  open.push({ token, prevEnabled: prev.enabled, prevDtype: prev.dtype });
  return token;
}

/** Closes the innermost region opened by enterAutocast and restores the state before it. */
export function exitAutocast(token: AutocastToken): void {
  const top = open[open.length - 1];
  if (top === undefined || top.token !== token) {
    const known = open.some((r) => r.token === token);
    throw new Error(known
      ? 'exitAutocast: token is not the innermost open autocast region (regions must close in reverse order of entry)'
      : 'exitAutocast: token is not an open autocast region (already closed, or not from enterAutocast)');
  }
  open.pop();
  // The native call clears the weight-cast cache when the outermost region ends.
  native.autocastDecrementNesting();
  native.setAutocast(token.deviceType === 'cuda', top.prevEnabled, top.prevDtype);
}

/**
 * Runs a synchronous `fn` inside an autocast region (torch.autocast) and restores the
 * previous state afterwards, also when `fn` throws.
 */
export function autocast<T>(fn: () => T, opts: AutocastOptions): T {
  const token = enterAutocast(opts);
  try {
    const result = fn();
    if (result instanceof Promise) {
      // The state is per thread: keeping it on until the promise settles would leak it into other tasks.
      throw new Error('autocast: fn must be synchronous (got a Promise); use enterAutocast/exitAutocast around awaited code');
    }
    return result;
  } finally {
    exitAutocast(token);
  }
}

/** Number of regions opened through this module and not yet closed (for tests and leak checks). */
export const autocastDepth = (): number => open.length;
