// Remembers which file (or --cfg-options) last set each key path, so errors can name it.
import type { KeyPath } from './errors.js';

// Key segments may contain dots (custom_keys: {'decode_head.conv_seg': ...}), so paths join on NUL.
const SEP = '\u0000';
const encode = (path: KeyPath): string => path.map(String).join(SEP);

export class KeySources {
  readonly #byPath = new Map<string, string>();

  /** Records that `source` set the value at `path`; what was recorded below it is forgotten. */
  set(path: KeyPath, source: string): void {
    this.forget(path);
    this.#byPath.set(encode(path), source);
  }

  /**
   * Records that `source` merges into the dict at `path`, whose keys are `keys`: keys that had no
   * record of their own keep the source they inherited from the dict before the merge.
   */
  touch(path: KeyPath, keys: readonly string[], source: string): void {
    const inherited = this.lookup(path);
    if (inherited !== undefined && inherited !== source) {
      for (const k of keys) {
        const key = encode([...path, k]);
        if (!this.#byPath.has(key)) this.#byPath.set(key, inherited);
      }
    }
    this.#byPath.set(encode(path), source);
  }

  /** Drops the records at and below `path` (a `_delete_` replaced that subtree). */
  forget(path: KeyPath): void {
    const key = encode(path);
    for (const k of [...this.#byPath.keys()]) {
      if (key === '' || k === key || k.startsWith(key + SEP)) this.#byPath.delete(k);
    }
  }

  /** Copies every record of `other`. */
  addAll(other: KeySources): void {
    for (const [k, v] of other.#byPath) this.#byPath.set(k, v);
  }

  /** The source of the deepest recorded path at or above `path`. */
  lookup(path: KeyPath): string | undefined {
    for (let n = path.length; n > 0; n--) {
      const hit = this.#byPath.get(encode(path.slice(0, n)));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}
