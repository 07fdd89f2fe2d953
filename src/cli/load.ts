// Shared by the config-taking commands: load a config with --cfg-options, register every component.
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadConfig, ConfigError, isPlainObject, type Config } from '../engine/config/index.js';
import { addWorkerModule } from '../engine/dataset/index.js';
import '../engine/index.js';
import '../seg/index.js';

export interface ConfigCommandOptions {
  cfgOptions?: string[];
  workDir?: string;
}

/** Loads CONFIG, applies --cfg-options and --work-dir (default ./work_dirs/<config name>, as MMSeg's tools). */
export async function loadRunConfig(file: string, opts: ConfigCommandOptions): Promise<Config> {
  const cfg = await loadConfig(file, { cfgOptions: opts.cfgOptions ?? [] });
  if (opts.workDir) cfg.set('work_dir', opts.workDir, '--work-dir');
  else if (!cfg.has('work_dir') || cfg.get('work_dir') === null) cfg.set('work_dir', join('work_dirs', basename(file, extname(file))), 'default');
  await importCustomModules(cfg);
  return cfg;
}

/**
 * MMEngine's `custom_imports = {imports: [...], allow_failed_imports}`: modules that register
 * extra components. Relative paths are resolved against the config's folder; bare names are
 * packages. JavaScript modules only (compile TypeScript first).
 */
async function importCustomModules(cfg: Config): Promise<void> {
  const custom = cfg.get<unknown>('custom_imports', undefined);
  if (custom === undefined || custom === null) return;
  if (!isPlainObject(custom) || !Array.isArray(custom.imports)) {
    throw cfg.locate(new ConfigError(['custom_imports'], "expected {imports: ['path/or/package', ...], allow_failed_imports?: boolean}"));
  }
  const allowFailed = custom.allow_failed_imports === true;
  for (const [i, spec] of (custom.imports as unknown[]).entries()) {
    if (typeof spec !== 'string') throw cfg.locate(new ConfigError(['custom_imports', 'imports', i], `expected a module path or package name, got ${JSON.stringify(spec)}`));
    const target = spec.startsWith('.') || isAbsolute(spec) ? pathToFileURL(resolve(dirname(cfg.filename ?? '.'), spec)).href : spec;
    try {
      await import(target);
      // Data-loader workers need the same registrations.
      addWorkerModule(target.startsWith('file:') ? target : import.meta.resolve(target));
    } catch (err) {
      if (allowFailed) {
        console.warn(`custom_imports: ${spec} failed to import and is skipped: ${(err as Error).message}`);
        continue;
      }
      throw cfg.locate(new ConfigError(['custom_imports', 'imports', i], `cannot import '${spec}': ${(err as Error).message}`));
    }
  }
}
