// Shared by the reader's tests: evaluate a config text as cfg.py, or assert the error it raises.
import assert from 'node:assert/strict';
import { Evaluator } from './evaluator.js';
import { parseModule } from './parser.js';
import { PyConfigError, PySource } from './source.js';

/** The module variables of `text` evaluated as cfg.py; warnings (file:line:col: message) go to `warnings`. */
export function run(text: string, warnings: string[] = []): Record<string, unknown> {
  const src = new PySource(text, 'cfg.py');
  return new Evaluator(src, { warn: (at, m) => warnings.push(`${src.where(at)}: ${m}`) }).run(parseModule(src)).vars;
}

/** Asserts that evaluating `text` raises a PyConfigError matching `message`. */
export function fails(text: string, message: RegExp): void {
  assert.throws(() => run(text), (err: unknown) => {
    assert.ok(err instanceof PyConfigError, String(err));
    assert.match(err.message, message);
    return true;
  });
}
