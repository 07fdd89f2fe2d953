// A Python config's text with offset -> line:column lookup, and the error that points into it.
import { ConfigError } from '../errors.js';

export class PySource {
  readonly #lineStarts: number[] = [0];

  constructor(readonly text: string, readonly file: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.#lineStarts.push(i + 1);
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.#lineStarts[lo]! + 1 };
  }

  /** `file:line:column` of an offset. */
  where(offset: number): string {
    const { line, column } = this.position(offset);
    return `${this.file}:${line}:${column}`;
  }

  error(offset: number, detail: string): PyConfigError {
    const { line, column } = this.position(offset);
    return new PyConfigError(detail, this.file, line, column);
  }
}

/** A ConfigError raised while reading a .py config; its message starts with `file:line:column`. */
export class PyConfigError extends ConfigError {
  constructor(detail: string, file: string, readonly line: number, readonly column: number) {
    super([], detail, file);
    this.message = `${file}:${line}:${column}: ${detail}`;
  }
}
