// `segkit print-config CONFIG`: the fully merged config (with --cfg-options applied).
import type { Command } from 'commander';
import { loadRunConfig } from './load.js';

export function registerPrintConfig(program: Command): void {
  program
    .command('print-config')
    .description('print the fully merged config (bases, _delete_, references and --cfg-options applied)')
    .argument('<config>', 'config file')
    .option('--cfg-options <key=value...>', 'override a config value (repeatable)')
    .option('--json', 'print JSON instead of a TypeScript module')
    .action(async (file: string, opts: { cfgOptions?: string[]; json?: boolean }) => {
      const cfg = await loadRunConfig(file, { cfgOptions: opts.cfgOptions, workDir: undefined });
      console.log(opts.json ? JSON.stringify(cfg.toJSON(), null, 2) : cfg.prettyText());
    });
}
