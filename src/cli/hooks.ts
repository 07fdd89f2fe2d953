// `segkit hooks CONFIG`: per stage, the hooks a run would call, in order, with priorities.
import type { Command } from 'commander';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRunner, ConfigError } from '../engine/index.js';
import { loadRunConfig } from './load.js';

export function registerHooks(program: Command): void {
  program
    .command('hooks')
    .description("list the hooks a config registers, per stage in call order (MMEngine's get_hooks_info)")
    .argument('<config>', 'config file')
    .option('--cfg-options <key=value...>', 'override a config value (repeatable)')
    .option('--json', 'print [{stage, hooks: [{name, priority}]}]')
    .action(async (file: string, opts: { cfgOptions?: string[]; json?: boolean }) => {
      // Building a runner writes a log dir: keep it out of the user's work dir.
      const scratch = mkdtempSync(join(tmpdir(), 'segkit-hooks-'));
      try {
        const cfg = await loadRunConfig(file, { cfgOptions: opts.cfgOptions, workDir: scratch });
        let runner;
        try {
          runner = buildRunner(cfg.dict as Record<string, unknown>, { filename: cfg.filename, quiet: true });
        } catch (err) {
          throw err instanceof ConfigError ? cfg.locate(err) : err;
        }
        console.log(opts.json ? JSON.stringify(runner.hooksInfo(), null, 2) : runner.hooksInfoText());
        runner.logger.close();
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    });
}
