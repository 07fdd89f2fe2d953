// Loads a config file as MMEngine's Config.fromfile does: `_base_` files first (merged left to
// right, no key from two bases), then the file's own keys merged on top, then --cfg-options.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { substituteRefs } from './base-refs.js';
import { parseCfgOptions } from './cfg-options.js';
import { Config, displayPath } from './config.js';
import { validateConfig } from './config-schema.js';
import { ConfigError, type KeyPath } from './errors.js';
import { KeySources } from './key-sources.js';
import { mergeConfig } from './merge.js';
import { readConfigFile } from './read-config-file.js';
import { describeValue, type ConfigDict } from './values.js';

export const BASE_KEY = '_base_';

export interface LoadConfigOptions {
  /** `['a.b=1', ...]` as given on the command line, or already-parsed `{ 'a.b': 1 }`. */
  cfgOptions?: readonly string[] | Record<string, unknown>;
  /** Check the top-level sections (default true). */
  validate?: boolean;
}

interface Loaded {
  dict: ConfigDict;
  sources: KeySources;
}

/** `_base_` as a list of [relative path, key path of the entry]. */
function baseEntries(value: unknown, file: string): [string, KeyPath][] {
  if (value === undefined) return [];
  if (typeof value === 'string') return [[value, [BASE_KEY]]];
  if (Array.isArray(value)) {
    return value.map((v, i) => {
      if (typeof v !== 'string') throw new ConfigError([BASE_KEY, i], `expected a relative path, got ${describeValue(v)}`, file);
      return [v, [BASE_KEY, i]];
    });
  }
  throw new ConfigError([BASE_KEY], `expected a relative path or a list of them, got ${describeValue(value)}`, file);
}

async function loadFile(absPath: string, chain: readonly string[]): Promise<Loaded> {
  const file = displayPath(absPath);
  const raw = await readConfigFile(absPath, file);
  const entries = baseEntries(raw[BASE_KEY], file);
  delete raw[BASE_KEY];

  let bases: ConfigDict = {};
  const sources = new KeySources();
  const keyOwner = new Map<string, string>();
  for (const [rel, keyPath] of entries) {
    const baseAbs = resolve(dirname(absPath), rel);
    const cycleStart = [...chain, absPath].indexOf(baseAbs);
    if (cycleStart >= 0) {
      const cycle = [...chain.slice(cycleStart), absPath, baseAbs].map(displayPath).join(' -> ');
      throw new ConfigError(keyPath, `'${rel}' makes an inheritance cycle: ${cycle}`, file);
    }
    if (!existsSync(baseAbs)) throw new ConfigError(keyPath, `base file '${rel}' not found (looked for ${displayPath(baseAbs)})`, file);
    const base = await loadFile(baseAbs, [...chain, absPath]);
    const baseFile = displayPath(baseAbs);
    const duplicates = Object.keys(base.dict).filter((k) => keyOwner.has(k));
    if (duplicates.length) {
      const owners = [...new Set(duplicates.map((k) => keyOwner.get(k)!))].join(', ');
      throw new ConfigError(keyPath, `duplicate key${duplicates.length > 1 ? 's' : ''} ${duplicates.map((k) => `'${k}'`).join(', ')} ` +
        `in ${baseFile}, already set by ${owners}; a key may come from one base only`, file);
    }
    for (const k of Object.keys(base.dict)) keyOwner.set(k, baseFile);
    bases = { ...bases, ...base.dict };
    sources.addAll(base.sources);
  }

  const own = substituteRefs(raw, { bases: entries.length ? bases : undefined, absPath, file }) as ConfigDict;
  const merged = mergeConfig(own, bases, { source: file, sources });
  // MMEngine drops dunder names (module internals) from the top level.
  for (const k of Object.keys(merged)) if (k.startsWith('__')) delete merged[k];
  return { dict: merged, sources };
}

/**
 * Loads a .ts/.mts/.js/.mjs/.json config (or another registered format) with its `_base_` chain,
 * applies `cfgOptions` and checks the top-level sections. Errors are ConfigErrors naming the file
 * (and the key path for bad values).
 */
export async function loadConfig(path: string, opts: LoadConfigOptions = {}): Promise<Config> {
  const absPath = resolve(path);
  if (!existsSync(absPath)) throw new ConfigError([], 'config file not found', displayPath(absPath));
  const { dict, sources } = await loadFile(absPath, []);
  const cfg = new Config(dict, { filename: absPath, sources });
  if (opts.cfgOptions) {
    const options = Array.isArray(opts.cfgOptions) ? parseCfgOptions(opts.cfgOptions) : opts.cfgOptions as Record<string, unknown>;
    cfg.mergeFromDict(options);
  }
  if (opts.validate ?? true) validateConfig(cfg);
  return cfg;
}
