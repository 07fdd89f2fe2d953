// The config reader for MMSegmentation/MMEngine classic Python configs (.py): reads the
// dict-literal subset without running Python and registers itself for '.py'.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { loadConfig } from '../load-config.js';
import { registerConfigReader, type ConfigReader } from '../read-config-file.js';
import { displayPath, type ConfigDict } from '../values.js';
import { baseAssignment, BASE_NAME, Evaluator, readsBaseVariable } from './evaluator.js';
import { parseModule } from './parser.js';
import { PySource } from './source.js';

/** Keys MMEngine's Config reserves for itself. */
const RESERVED_KEYS = ['filename', 'text', 'pretty_text', 'env_variables'];
const DEPRECATION_KEY = '_deprecation_';

/** Files whose bases are being loaded for `_base_.x`, to stop an inheritance cycle early. */
const loadingBases = new Set<string>();

function warn(message: string): void {
  process.emitWarning(message, { type: 'SegkitWarning' });
}

/** The base files of `_base_ = ...` (a path or a list), checked as MMEngine's _get_base_files reads them. */
function baseFiles(value: unknown, src: PySource, pos: number): string[] {
  const list = Array.isArray(value) ? value : [value];
  return list.map((v, i) => {
    if (typeof v !== 'string') throw src.error(pos, `_base_${Array.isArray(value) ? `[${i}]` : ''}: expected a relative path, got ${JSON.stringify(v)}`);
    if (v.includes('::')) {
      throw src.error(pos, `_base_: '${v}' names a base inside an installed Python package; copy that file next to the config and use a relative path`);
    }
    return v;
  });
}

/** The merged bases, for a file that reads `_base_.x` (MMEngine runs the file with them bound to `_base_`). */
async function loadBases(absPath: string, files: readonly string[], file: string): Promise<ConfigDict> {
  if (loadingBases.has(absPath)) throw new ConfigError([BASE_NAME], `${file} inherits from itself (an inheritance cycle)`, file);
  loadingBases.add(absPath);
  try {
    const merged: ConfigDict = {};
    for (const [i, rel] of files.entries()) {
      const baseAbs = resolve(dirname(absPath), rel);
      if (!existsSync(baseAbs)) throw new ConfigError([BASE_NAME, i], `base file '${rel}' not found (looked for ${displayPath(baseAbs)})`, file);
      Object.assign(merged, (await loadConfig(baseAbs, { validate: false })).dict);
    }
    return merged;
  } finally {
    loadingBases.delete(absPath);
  }
}

/** Reads one .py config as written: its module-level names, with `_base_` as a path or list of paths. */
export const readPythonConfig: ConfigReader = async (absPath, file) => {
  const src = new PySource(readFileSync(absPath, 'utf8'), file);
  const stmts = parseModule(src);
  const baseStmt = baseAssignment(stmts);
  let base: unknown;
  let bases: ConfigDict | undefined;
  if (baseStmt) {
    base = new Evaluator(src).run([baseStmt]).base!.value;
    const files = baseFiles(base, src, baseStmt.pos);
    if (readsBaseVariable(stmts)) bases = await loadBases(absPath, files, file);
  }
  const { vars, positions } = new Evaluator(src, { bases, warn: (at, message) => warn(`${src.where(at)}: ${message}`) }).run(stmts);

  for (const key of RESERVED_KEYS) {
    if (key in vars) throw src.error(positions.get(key)!, `'${key}' is reserved for the config itself (MMEngine's Config); rename the variable`);
  }
  if (DEPRECATION_KEY in vars) {
    const info = vars[DEPRECATION_KEY] as Record<string, unknown> | null;
    delete vars[DEPRECATION_KEY];
    let message = `The config file ${file} will be deprecated in the future.`;
    if (info && typeof info === 'object' && 'expected' in info) message += ` Please use ${String(info.expected)} instead.`;
    if (info && typeof info === 'object' && 'reference' in info) message += ` More information can be found at ${String(info.reference)}`;
    warn(message);
  }
  if ('custom_imports' in vars) {
    // Python modules cannot load into segkit; what they would register must exist in segkit already.
    delete vars.custom_imports;
    warn(`${src.where(positions.get('custom_imports')!)}: custom_imports is ignored: a Python config's imports are Python modules, ` +
      'which segkit cannot load (components are looked up in segkit\'s registries)');
  }
  return base === undefined ? vars : { [BASE_NAME]: base, ...vars };
};

registerConfigReader(['.py'], readPythonConfig);
