// Checks that what a DataLoader hands to its workers can cross a thread boundary, before any worker starts.
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, type KeyPath } from '../config/errors.js';
import { isPlainObject } from './build-dataset.js';

/**
 * Throws a ConfigError at the first value under `value` that structured cloning cannot send
 * (functions, class instances): workers rebuild everything from names in the registries.
 */
export function assertPostable(value: unknown, keyPath: KeyPath, why: string): void {
  const fail = (path: KeyPath, what: string): never => {
    throw new ConfigError(path, `${what} cannot be sent to DataLoader workers (${why}); register it and refer to it by its registered name`);
  };
  const walk = (v: unknown, path: KeyPath): void => {
    if (typeof v === 'function') fail(path, `${v.name ? `'${v.name}'` : 'a function'} (a function or class)`);
    if (typeof v === 'symbol') fail(path, 'a symbol');
    if (v === null || typeof v !== 'object' || ArrayBuffer.isView(v)) return;
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    else fail(path, `a ${v.constructor?.name ?? 'non-plain'} instance`);
  };
  walk(value, keyPath);
}

/** A module for workers to import, as a URL: URLs and absolute paths are accepted, relative paths are not. */
export function moduleUrl(module: string | URL): string {
  if (module instanceof URL) return module.href;
  if (isAbsolute(module)) return pathToFileURL(module).href;
  if (/^[a-z][a-z0-9+.-]*:/i.test(module)) return module;
  if (module.startsWith('.')) {
    throw new Error(`workerModules: '${module}' is relative, and workers would resolve it from their own file; pass new URL('${module}', import.meta.url) or an absolute path`);
  }
  return module; // a package name, resolved from node_modules
}
