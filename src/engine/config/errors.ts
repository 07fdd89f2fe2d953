// Config errors that name the file and the key path of the bad value.
import type { ZodError, ZodType } from 'zod';

export type KeyPath = readonly (string | number)[];

/** Renders ['optim_wrapper', 'paramwise_cfg', 'custom_keys', 'norm'] / ['a', 0, 'b'] as a dotted path. */
export function formatKeyPath(path: KeyPath): string {
  return path.map((p, i) => (typeof p === 'number' ? `${i === 0 ? '' : '.'}${p}` : i === 0 ? p : `.${p}`)).join('');
}

export class ConfigError extends Error {
  constructor(readonly keyPath: KeyPath, readonly detail: string, readonly file?: string) {
    const where = formatKeyPath(keyPath);
    super(`${file ? file + ': ' : ''}${where ? where + ': ' : ''}${detail}`);
    this.name = 'ConfigError';
  }
  /** The same error seen from further up: `prefix` goes in front of the key path. */
  under(prefix: KeyPath, file?: string): ConfigError {
    return new ConfigError([...prefix, ...this.keyPath], this.detail, file ?? this.file);
  }
}

/** Re-throws ConfigErrors raised by `fn` with `prefix` added to their key path. */
export function withKeyPath<T>(prefix: KeyPath, fn: () => T, file?: string): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ConfigError) throw err.under(prefix, file);
    throw err;
  }
}

const describe = (v: unknown): string => {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || typeof v !== 'object') return String(v);
  return Array.isArray(v) ? 'a list' : 'an object';
};

function issueToError(err: ZodError, input: unknown): ConfigError {
  const issue = err.issues[0]!;
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  let value: unknown = input;
  for (const p of path) value = value && typeof value === 'object' ? (value as Record<string | number, unknown>)[p] : undefined;
  switch (issue.code) {
    case 'invalid_type':
      return new ConfigError(path, `expected ${issue.expected}, got ${describe(value)}`);
    case 'unrecognized_keys':
      return new ConfigError(path, `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}`);
    case 'invalid_value':
      return new ConfigError(path, `expected ${issue.values.map((v) => JSON.stringify(v)).join(' | ')}, got ${describe(value)}`);
    default:
      return new ConfigError(path, `${issue.message} (got ${describe(value)})`);
  }
}

/** Validates `input` with a zod schema; failures become a ConfigError naming the key path. */
export function parseOptions<S extends ZodType>(schema: S, input: unknown, keyPath: KeyPath = []): S['_output'] {
  const result = schema.safeParse(input);
  if (!result.success) throw issueToError(result.error, input).under(keyPath);
  return result.data;
}
