// The `segkit` command line: one subcommand per file, registered here.
import { Command, CommanderError } from 'commander';
import { registerInfo } from './info.js';
import { registerDemo } from './demo.js';
import { registerTrain } from './train.js';
import { registerPrintConfig } from './print-config.js';
import { registerHooks } from './hooks.js';
import { registerPlotLogs } from './plot-logs.js';
import { registerLrSchedule } from './lr-schedule.js';
import { registerParamGroups } from './param-groups.js';
import { registerTest } from './test.js';
import { registerInfer } from './infer.js';
import { registerBrowseDataset } from './browse-dataset.js';
import { registerConvert } from './convert.js';

export async function run(argv: string[]): Promise<void> {
  const program = new Command('segkit')
    .description('Training engine and semantic-segmentation toolbox for Node.js on libtorch')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerInfo(program);
  registerDemo(program);
  registerTrain(program);
  registerPrintConfig(program);
  registerHooks(program);
  registerPlotLogs(program);
  registerLrSchedule(program);
  registerParamGroups(program);
  registerTest(program);
  registerInfer(program);
  registerBrowseDataset(program);
  registerConvert(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    console.error(`segkit: ${(err as Error).message}`);
    process.exit(1);
  }
}
