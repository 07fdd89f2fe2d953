// Registries map config `type` names to classes, as MMEngine's Registry does.
import { ConfigError, type KeyPath } from '../config/errors.js';

/** Scope prefixes accepted in `type` (MMSeg configs write 'mmseg.SomeHook'). */
const SCOPES = ['segkit', 'mmseg', 'mmengine', 'mmpretrain', 'mmcv'];

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Constructor<T = unknown> = new (...args: any[]) => T;

export interface BuildOptions {
  /** Where the config came from, for error messages (e.g. ['default_hooks', 'checkpoint']). */
  keyPath?: KeyPath;
  /** Filled in when the config does not set them (MMEngine's default_args). */
  defaultArgs?: Record<string, unknown>;
  /** Extra constructor arguments after the options object (e.g. the model for an optimizer). */
  extraArgs?: unknown[];
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

export class Registry<T = unknown> {
  readonly #entries = new Map<string, Constructor<T>>();

  constructor(readonly name: string) {}

  /** Registers a class under `name` (default: the class name). Re-registering a name needs force. */
  register<C extends Constructor<T>>(cls: C, name: string = cls.name, force = false): C {
    if (this.#entries.has(name) && this.#entries.get(name) !== cls && !force) {
      throw new Error(`${this.name}: '${name}' is already registered`);
    }
    this.#entries.set(name, cls);
    return cls;
  }

  /** The registered name without any scope prefix ('mmseg.CheckpointHook' -> 'CheckpointHook'). */
  static stripScope(type: string): string {
    const dot = type.indexOf('.');
    return dot > 0 && SCOPES.includes(type.slice(0, dot)) ? type.slice(dot + 1) : type;
  }

  has(type: string): boolean {
    return this.#entries.has(Registry.stripScope(type));
  }

  get(type: string): Constructor<T> | undefined {
    return this.#entries.get(Registry.stripScope(type));
  }

  get names(): string[] {
    return [...this.#entries.keys()].sort();
  }

  /** Up to three registered names closest to `type`. */
  closest(type: string): string[] {
    const bare = Registry.stripScope(type).toLowerCase();
    return this.names
      .map((n) => ({ n, d: editDistance(bare, n.toLowerCase()) }))
      .filter(({ n, d }) => d <= Math.max(3, Math.floor(n.length / 3)) || n.toLowerCase().includes(bare))
      .sort((a, b) => a.d - b.d)
      .slice(0, 3)
      .map(({ n }) => n);
  }

  /** Looks up `type`, throwing a ConfigError that names the registry, the key path and close names. */
  resolve(type: unknown, keyPath: KeyPath = []): Constructor<T> {
    if (typeof type === 'function') return type as Constructor<T>;
    if (typeof type !== 'string') {
      throw new ConfigError([...keyPath, 'type'], `expected a registered ${this.name} name or a class, got ${type === undefined ? 'nothing' : JSON.stringify(type)}`);
    }
    const cls = this.get(type);
    if (!cls) {
      const near = this.closest(type);
      throw new ConfigError([...keyPath, 'type'],
        `'${type}' is not in the ${this.name} registry${near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : ''}`);
    }
    return cls;
  }

  /**
   * Builds `new Cls(options, ...extraArgs)` from a config `{ type, ...options }`. ConfigErrors
   * thrown by the constructor get the key path in front.
   */
  build<R extends T = T>(cfg: unknown, opts: BuildOptions = {}): R {
    const keyPath = opts.keyPath ?? [];
    if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) {
      throw new ConfigError(keyPath, `expected an object with a 'type', got ${Array.isArray(cfg) ? 'a list' : JSON.stringify(cfg)}`);
    }
    const { type, ...rest } = { ...opts.defaultArgs, ...(cfg as Record<string, unknown>) };
    const cls = this.resolve(type, keyPath);
    try {
      return new cls(rest, ...(opts.extraArgs ?? [])) as R;
    } catch (err) {
      if (err instanceof ConfigError) throw err.under(keyPath);
      throw err;
    }
  }
}
