// Tensor lifetimes: tidy-style scopes that dispose every tensor created inside
// except the ones returned or kept. libtorch memory is freed at dispose(), not
// when V8 gets round to collecting a wrapper (the native finalizer is only a backstop).

export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
  /**
   * Called once the disposable's release is up to the garbage collector (made outside any scope,
   * kept, or returned from the outermost one). Tensors then report their bytes to V8 (a disposed one
   * reports nothing); ones that live and die inside scopes never do, so they add no GC pressure.
   */
  leftToGc?(): void;
}

interface Scope {
  tracked: Disposable[];
  name: string;
}

const scopes: Scope[] = [];
const kept = new WeakSet<Disposable>();

/** Called by every new tensor wrapper. Outside any scope the caller owns the tensor. */
export function track<T extends Disposable>(t: T): T {
  const scope = scopes[scopes.length - 1];
  if (scope) scope.tracked.push(t);
  else t.leftToGc?.();
  return t;
}

/** Exempts a tensor from disposal by the enclosing scopes (e.g. parameters, optimizer state). */
export function keep<T extends Disposable>(t: T): T {
  if (!kept.has(t)) {
    kept.add(t);
    t.leftToGc?.();
  }
  return t;
}

export function unkeep<T extends Disposable>(t: T): T {
  kept.delete(t);
  return t;
}

export function isKept(t: Disposable): boolean {
  return kept.has(t);
}

/** Walks a result (tensor, array, plain object, Map) and collects the disposables it holds. */
function collect(value: unknown, out: Set<Disposable>, depth = 0): void {
  if (value === null || typeof value !== 'object' || depth > 8) return;
  if (typeof (value as Disposable).dispose === 'function' && 'isDisposed' in (value as object)) {
    out.add(value as Disposable);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collect(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

function endScope(scope: Scope, result: unknown): void {
  const survivors = new Set<Disposable>();
  collect(result, survivors);
  const popped = scopes.pop();
  if (popped !== scope) throw new Error(`segkit: tensor scope '${scope.name}' closed out of order`);
  const parent = scopes[scopes.length - 1];
  for (const t of scope.tracked) {
    if (survivors.has(t)) {
      if (parent) parent.tracked.push(t);
      else t.leftToGc?.();
    } else if (!kept.has(t)) {
      t.dispose();
    }
  }
}

/**
 * Runs `fn` and disposes every tensor created inside it, except those it returns
 * (which move to the enclosing scope) and those passed to keep().
 */
export function tidy<T>(fn: () => T, name = 'tidy'): T {
  const scope: Scope = { tracked: [], name };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    endScope(scope, undefined);
    throw err;
  }
  if (result instanceof Promise) {
    endScope(scope, undefined);
    throw new Error('segkit: tidy() got an async function; use tidyAsync() or await outside the scope');
  }
  endScope(scope, result);
  return result;
}

/**
 * Async variant: tensors created while `fn` runs are tracked until it settles.
 * Only one async scope should be open at a time (scopes are a single stack).
 */
export async function tidyAsync<T>(fn: () => Promise<T>, name = 'tidyAsync'): Promise<T> {
  const scope: Scope = { tracked: [], name };
  scopes.push(scope);
  let result: T;
  try {
    result = await fn();
  } catch (err) {
    endScope(scope, undefined);
    throw err;
  }
  endScope(scope, result);
  return result;
}

/** Disposes every tensor found in a value (tensor, array, object). */
export function dispose(value: unknown): void {
  const found = new Set<Disposable>();
  collect(value, found);
  for (const t of found) t.dispose();
}

/** Number of open scopes (for tests and leak diagnostics). */
export const scopeDepth = (): number => scopes.length;
