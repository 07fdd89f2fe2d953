// A loaded config: the merged dict, the file it came from, which file set each key, and
// the ways to read, change, print and dump it.
import { writeFileSync } from 'node:fs';
import { extname } from 'node:path';
import { CFG_OPTIONS_SOURCE, applyCfgOptions, setAtPath } from './cfg-options.js';
import type { SegkitConfig } from './config-types.js';
import { ConfigError, type KeyPath } from './errors.js';
import { KeySources } from './key-sources.js';
import { toJsonSafe, toTypeScript } from './pretty-text.js';
import { deepCopy, displayPath, getAt, toKeyPath, type ConfigDict } from './values.js';

export { displayPath };

export interface ConfigInit {
  /** The absolute path of the file the config was loaded from. */
  filename?: string;
  /** Which file set each key path (filled by loadConfig). */
  sources?: KeySources;
}

export class Config {
  readonly filename: string | undefined;
  #data: ConfigDict;
  readonly #sources: KeySources;

  constructor(data: ConfigDict = {}, init: ConfigInit = {}) {
    this.#data = data;
    this.filename = init.filename;
    this.#sources = init.sources ?? new KeySources();
  }

  /** The merged config itself (not a copy); builders read their sections from it. */
  get dict(): SegkitConfig {
    return this.#data as SegkitConfig;
  }

  keys(): string[] {
    return Object.keys(this.#data);
  }

  /** The value at a dotted path ('optim_wrapper.optimizer.lr', 'train_pipeline.1.scale'), or `fallback`. */
  get<T = unknown>(path: string | KeyPath, fallback?: T): T | undefined {
    const v = getAt(this.#data, toKeyPath(path));
    return (v === undefined ? fallback : v) as T | undefined;
  }

  has(path: string | KeyPath): boolean {
    return getAt(this.#data, toKeyPath(path)) !== undefined;
  }

  /** Replaces the value at `path` (dicts are created on the way); `source` is what errors will name. */
  set(path: string | KeyPath, value: unknown, source = 'set by code'): void {
    setAtPath(this.#data, toKeyPath(path).map(String), value, { merge: false, source, sources: this.#sources });
  }

  /** Applies dotted-key overrides as `--cfg-options` does (dicts merge, digits index lists). */
  mergeFromDict(options: Record<string, unknown>, source = CFG_OPTIONS_SOURCE): void {
    this.#data = applyCfgOptions(this.#data, options, this.#sources, source);
  }

  /** The file (or '--cfg-options') that set the value at `path`, as errors show it. */
  sourceOf(path: string | KeyPath): string | undefined {
    return this.#sources.lookup(toKeyPath(path)) ?? (this.filename ? displayPath(this.filename) : undefined);
  }

  /**
   * A ConfigError about a key path of this config, naming the file that set it. Builders call it
   * on errors they catch: `throw cfg.locate(err)`. Other errors are returned as they are.
   */
  locate(err: unknown): unknown {
    if (!(err instanceof ConfigError) || err.file) return err;
    return new ConfigError(err.keyPath, err.detail, this.sourceOf(err.keyPath));
  }

  /** A private copy of the dict (classes stay classes). */
  toDict(): ConfigDict {
    return deepCopy(this.#data);
  }

  /** JSON-safe data: classes and functions by name; NaN and Infinity are an error. */
  toJSON(): ConfigDict {
    return toJsonSafe(this.#data) as ConfigDict;
  }

  /** The whole merged config as a TypeScript module (`export default {...};`), snake_case keys kept. */
  prettyText(): string {
    return toTypeScript(this.#data, this.filename ? `merged config of ${displayPath(this.filename)}` : undefined);
  }

  /** Writes the config as JSON (.json) or TypeScript (.ts, .mts, .js, .mjs) and returns the text. */
  dump(file: string): string {
    const ext = extname(file);
    let text: string;
    if (ext === '.json') {
      try {
        text = JSON.stringify(this.toJSON(), null, 2) + '\n';
      } catch (err) {
        throw err instanceof ConfigError ? new ConfigError(err.keyPath, err.detail, file) : err;
      }
    } else if (['.ts', '.mts', '.js', '.mjs'].includes(ext)) {
      text = this.prettyText();
    } else {
      throw new ConfigError([], `cannot dump a config as '${ext || '(no extension)'}'; use .json, .ts, .mts, .js or .mjs`, file);
    }
    writeFileSync(file, text);
    return text;
  }
}
