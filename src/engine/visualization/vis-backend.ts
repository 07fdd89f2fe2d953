// The base of every vis backend (MMEngine's BaseVisBackend): the add* API and lazy creation of its files.
import type { RgbImage } from './image.js';
import type { ItemLike } from './python-json.js';

/** A scalar to record: a number, or a 0-d tensor (anything with `.item()`), as MMEngine accepts. */
export type ScalarValue = number | ItemLike;

/** A config to record: a plain object, or a Config object that can turn itself into one. */
export type ConfigLike = Record<string, unknown> | { toDict(): Record<string, unknown>; prettyText?: string };

/** The config as a plain object (calls `toDict()` where the config has one). */
export function configToDict(config: ConfigLike): Record<string, unknown> {
  const toDict = (config as { toDict?: unknown }).toDict;
  return typeof toDict === 'function' ? (toDict.call(config) as Record<string, unknown>) : (config as Record<string, unknown>);
}

/**
 * The config as readable text: its own `prettyText` if it has one, else 4-space-indented JSON.
 * Classes given as `type` are written by name (that is how they are registered).
 */
export function configToText(config: ConfigLike): string {
  const pretty = (config as { prettyText?: unknown }).prettyText;
  if (typeof pretty === 'string') return pretty;
  return JSON.stringify(configToDict(config), (_key, v: unknown) => {
    if (typeof v === 'function') return (v as { name?: string }).name || '<anonymous function>';
    if (typeof v === 'bigint') return v.toString();
    return v;
  }, 4);
}

/**
 * Backends create nothing until first used (MMEngine's `force_init_env`): a Visualizer built on
 * every rank, or one that never records anything, leaves no empty files behind.
 *
 * Scalars and configs are written synchronously (they sit on the per-iteration path and are
 * small); images are PNG-encoded off the main thread, so `addImage` returns a promise and
 * `close()` waits for the images still being written.
 */
export abstract class BaseVisBackend {
  #envInitialized = false;
  readonly #pending = new Set<Promise<void>>();

  constructor(readonly saveDir: string) {}

  /** Creates the backend's directory and files; called once, on first use. */
  protected abstract initEnv(): void;

  /** The object that does the recording (the backend itself, or its event-file writer). */
  abstract get experiment(): unknown;

  get envInitialized(): boolean {
    return this.#envInitialized;
  }

  protected ensureEnv(): void {
    if (this.#envInitialized) return;
    this.initEnv();
    this.#envInitialized = true;
  }

  /** Keeps `work` until it settles, so close() can wait for it. */
  protected track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
    return tracked;
  }

  addConfig(_config: ConfigLike): void {}

  addImage(_name: string, _image: RgbImage, _step = 0): Promise<void> {
    return Promise.resolve();
  }

  addScalar(_name: string, _value: ScalarValue, _step = 0): void {}

  /** `filePath`: a second JSON-lines file (relative to save_dir) that also gets this record. */
  addScalars(_scalarDict: Record<string, unknown>, _step = 0, _filePath?: string): void {}

  /** Waits for images still being written; subclasses then release their files. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#pending]);
  }
}
