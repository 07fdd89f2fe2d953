// Reads one config file as written (before `_base_` merging): TypeScript and JavaScript modules
// through jiti, JSON with JSON.parse; other formats can register a reader.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createJiti, type Jiti } from 'jiti';
import { ConfigError } from './errors.js';
import { deepCopy, describeValue, displayPath, isPlainObject, type ConfigDict } from './values.js';

/** Returns the file's top-level dict as written; `file` is the name errors should show. */
export type ConfigReader = (absPath: string, file: string) => Promise<unknown>;

const READERS = new Map<string, ConfigReader>();

/** Adds (or replaces) the reader for file extensions such as '.py' or '.yaml'. */
export function registerConfigReader(extensions: readonly string[], reader: ConfigReader): void {
  for (const ext of extensions) READERS.set(ext.startsWith('.') ? ext : `.${ext}`, reader);
}

export function configExtensions(): string[] {
  return [...READERS.keys()];
}

let jiti: Jiti | undefined;

function getJiti(): Jiti {
  // No caches: a config edited between two loads in one process must be read again. Plain .js
  // libraries a config imports still load natively, so `type: SomeClass` is the registered class.
  jiti ??= createJiti(import.meta.url, {
    moduleCache: false,
    fsCache: false,
    interopDefault: false,
    // TypeScript configs may write `import { defineConfig } from 'segkit/config'` wherever they live.
    alias: { 'segkit/config': fileURLToPath(new URL('./index.js', import.meta.url)) },
  });
  return jiti;
}

function lineAndColumn(source: string, position: number): string {
  const before = source.slice(0, position).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** Turns what jiti or the module itself threw into an error that names the file. */
function moduleError(err: unknown, absPath: string, file: string): Error {
  if (err instanceof ConfigError) return err.file ? err : new ConfigError(err.keyPath, err.detail, file);
  const e = err instanceof Error ? err : new Error(String(err));
  const parse = /^ParseError:\s*(.*?)\s*\n\s*(\S*?):(\d+):(\d+)\s*$/s.exec(e.message);
  if (parse) {
    const [, message, where, line, column] = parse;
    // Babel counts columns from 0; the bad file may be a module the config imports.
    const inImport = where && where !== absPath ? ` in imported ${displayPath(where)}` : '';
    return new ConfigError([], `syntax error${inImport}: ${message} (line ${line}, column ${Number(column) + 1})`, file);
  }
  // Point at the config's own line when the stack passes through it.
  const frame = (e.stack ?? '').split('\n').find((l) => l.includes(absPath));
  // jiti keeps the lines of a transformed file but not its columns.
  const at = frame ? /:(\d+):\d+\)?\s*$/.exec(frame) : null;
  const where = at ? ` (line ${at[1]})` : '';
  const kind = e.name === 'SyntaxError' ? 'syntax error' : 'error while loading';
  const error = new ConfigError([], `${kind}: ${e.name}: ${e.message.split('\n')[0]}${where}`, file);
  error.cause = err;
  return error;
}

const readModule: ConfigReader = async (absPath, file) => {
  const source = readFileSync(absPath, 'utf8');
  let ns: Record<string, unknown>;
  try {
    ns = await getJiti().evalModule(source, { filename: absPath, id: absPath, async: true, forceTranspile: true }) as Record<string, unknown>;
  } catch (err) {
    throw moduleError(err, absPath, file);
  }
  if (ns !== null && typeof ns === 'object' && 'default' in ns) return ns.default;
  // A CommonJS `module.exports = {...}` has no ES module marker.
  if (ns !== null && typeof ns === 'object' && !ns.__esModule) return ns;
  throw new ConfigError([], 'has no default export; write `export default defineConfig({...})`', file);
};

const readJson: ConfigReader = async (absPath, file) => {
  const source = readFileSync(absPath, 'utf8').replace(/^\uFEFF/, '');
  try {
    return JSON.parse(source);
  } catch (err) {
    const message = (err as Error).message;
    const pos = /at position (\d+)/.exec(message);
    const detail = message.replace(/\s*(in JSON )?at position \d+.*$/s, '');
    throw new ConfigError([], `syntax error: ${detail}${pos ? ` (${lineAndColumn(source, Number(pos[1]))})` : ''}`, file);
  }
};

registerConfigReader(['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'], readModule);
registerConfigReader(['.json'], readJson);

/** Reads `absPath` with the reader for its extension; returns a private copy of its top-level dict. */
export async function readConfigFile(absPath: string, file: string): Promise<ConfigDict> {
  const ext = extname(absPath);
  const reader = READERS.get(ext);
  if (!reader) {
    throw new ConfigError([], `unsupported config format '${ext || '(no extension)'}'; expected one of ${configExtensions().join(', ')}`, file);
  }
  const value = await reader(absPath, file);
  if (!isPlainObject(value)) throw new ConfigError([], `expected the config to be a dict (an object literal), got ${describeValue(value)}`, file);
  try {
    return deepCopy(value);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.keyPath, err.detail, file);
    throw err;
  }
}
