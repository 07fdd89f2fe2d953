// `segkit train CONFIG`: MMSeg's tools/train.py — build the Runner from the config and train.
import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildRunner, InterruptedError, ConfigError } from '../engine/index.js';
import { loadRunConfig } from './load.js';

interface TrainOptions {
  workDir?: string;
  resume?: boolean | string;
  amp?: boolean;
  cfgOptions?: string[];
  launcher: string;
}

/** Prints where a run left its outputs (MMSeg users look for these by hand otherwise). */
function printOutputs(workDir: string, logDir: string, timestamp: string): void {
  const rel = (p: string): string => relative(process.cwd(), p) || '.';
  const ckpts = readdirSync(workDir).filter((f) => f.endsWith('.ckpt')).sort();
  const vis = join(logDir, 'vis_data');
  const events = existsSync(vis) ? readdirSync(vis).filter((f) => f.startsWith('events.out.tfevents')) : [];
  console.log('\nOutputs:');
  console.log(`  work dir     ${rel(workDir)}`);
  console.log(`  log          ${rel(join(logDir, `${timestamp}.log`))}`);
  if (existsSync(join(vis, 'scalars.json'))) console.log(`  scalars      ${rel(join(vis, 'scalars.json'))}`);
  if (events.length) console.log(`  tensorboard  ${rel(vis)}  (tensorboard --logdir ${rel(vis)})`);
  if (existsSync(join(vis, 'vis_image'))) console.log(`  images       ${rel(join(vis, 'vis_image'))}`);
  if (ckpts.length) console.log(`  checkpoints  ${ckpts.map((c) => rel(join(workDir, c))).join(', ')}`);
}

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a model from a config file (.ts, .js or .json)')
    .argument('<config>', 'config file')
    .option('--work-dir <dir>', 'where logs and checkpoints go (default: work_dirs/<config name>)')
    .option('--resume [checkpoint]', 'resume from the latest checkpoint in the work dir, or from the given one')
    .option('--amp', 'mixed precision: AmpOptimWrapper with dynamic loss scaling (bfloat16 on CPU)')
    .option('--cfg-options <key=value...>', 'override a config value, e.g. train_cfg.max_iters=100 (repeatable)')
    .option('--launcher <kind>', "job launcher: 'none' (one process); distributed launchers arrive with the distributed issue", 'none')
    .action(async (file: string, opts: TrainOptions) => {
      if (opts.launcher !== 'none') throw new ConfigError(['--launcher'], `expected 'none', got '${opts.launcher}' (distributed training is not available yet)`);
      const cfg = await loadRunConfig(file, opts);
      if (opts.resume !== undefined) cfg.set('resume', true, '--resume');
      if (typeof opts.resume === 'string') cfg.set('load_from', opts.resume, '--resume');
      if (opts.amp) {
        const wrapperType = cfg.get<string>('optim_wrapper.type', 'OptimWrapper');
        if (wrapperType === 'AmpOptimWrapper') console.warn('AMP is already enabled in the config');
        else {
          cfg.set('optim_wrapper.type', 'AmpOptimWrapper', '--amp');
          cfg.set('optim_wrapper.loss_scale', 'dynamic', '--amp');
        }
      }
      let runner;
      try {
        runner = buildRunner(cfg.dict as Record<string, unknown>, { filename: cfg.filename });
      } catch (err) {
        throw err instanceof ConfigError ? cfg.locate(err) : err;
      }
      try {
        await runner.train();
      } catch (err) {
        if (err instanceof InterruptedError) {
          console.error(`segkit: ${err.message}`);
          printOutputs(runner.workDir, runner.logDir, runner.timestamp);
          process.exit(err.signal === 'SIGTERM' ? 143 : 130);
        }
        throw err instanceof ConfigError ? cfg.locate(err) : err;
      }
      printOutputs(runner.workDir, runner.logDir, runner.timestamp);
      const val = runner.lastMetrics.val;
      if (val) console.log(`  last val     ${Object.entries(val).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k}: ${(v as number).toFixed(4)}`).join('  ')}`);
    });
}
