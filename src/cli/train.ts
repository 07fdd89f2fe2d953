// `segkit train CONFIG`: MMSeg's tools/train.py — build the Runner from the config and train.
import type { Command } from 'commander';
import { existsSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildRunner, InterruptedError, ConfigError } from '../engine/index.js';
import * as torch from '../torch/index.js';
import { checkLauncher, initDist } from '../engine/runner/dist-env.js';
import { loadRunConfig } from './load.js';
import { launchLocal, rankArgs, watchLauncher } from './launch.js';

interface TrainOptions {
  workDir?: string;
  resume?: boolean | string;
  amp?: boolean;
  cfgOptions?: string[];
  launcher: string;
  nproc?: string;
  nnodes: string;
  nodeRank: string;
  masterAddr: string;
  masterPort?: string;
}

const DIST_HELP = `
Distributed (data-parallel) training, one process per rank:
  segkit train CONFIG --nproc 2                 2 processes on this machine (free MASTER_PORT picked)
  segkit train CONFIG --launcher pytorch        the environment is set by torchrun or a scheduler:
                                                RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT
  Several machines (run on every machine; node 0's address must be reachable from the others):
  segkit train CONFIG --nproc 4 --nnodes 2 --node-rank 0 --master-addr 10.0.0.1 --master-port 29500
  segkit train CONFIG --nproc 4 --nnodes 2 --node-rank 1 --master-addr 10.0.0.1 --master-port 29500
  Rank 0 writes checkpoints, logs and visualizations; env_cfg.dist_cfg = {backend: 'gloo' | 'nccl', timeout: seconds}.
  If a rank dies the others are ended and the launcher names the rank, its exit code or signal and its last stderr lines.
  See docs/distributed.md.`;

/** Parses a positive/non-negative integer flag, naming it when wrong. */
function intFlag(value: string, flag: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new ConfigError([flag], `expected an integer >= ${min}, got '${value}'`);
  return n;
}

/** --nproc: this process becomes the launcher of its node's ranks and exits with their outcome. */
async function launchRanks(opts: TrainOptions): Promise<never> {
  if (opts.launcher !== 'none') throw new ConfigError(['--launcher'], `--nproc starts its own ranks (with --launcher pytorch); got --launcher '${opts.launcher}' as well`);
  const nproc = intFlag(opts.nproc!, '--nproc', 1);
  const nnodes = intFlag(opts.nnodes, '--nnodes', 1);
  const nodeRank = intFlag(opts.nodeRank, '--node-rank', 0);
  if (nodeRank >= nnodes) throw new ConfigError(['--node-rank'], `expected 0..${nnodes - 1} (--nnodes ${nnodes}), got ${nodeRank}`);
  const masterPort = opts.masterPort === undefined ? undefined : intFlag(opts.masterPort, '--master-port', 1);
  if (masterPort !== undefined && masterPort > 65535) throw new ConfigError(['--master-port'], `expected 1..65535, got ${masterPort}`);
  if (nnodes > 1 && opts.masterAddr === '127.0.0.1') console.warn('segkit train: --nnodes > 1 with --master-addr 127.0.0.1: the other machines cannot reach it; pass node 0\'s address');
  const result = await launchLocal({
    nproc, nnodes, nodeRank, masterAddr: opts.masterAddr, masterPort, script: process.argv[1]!, args: rankArgs(process.argv.slice(2)),
  });
  process.exit(result.exitCode);
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
    .option('--launcher <kind>', "'none' (one process) or 'pytorch' (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT set by torchrun or a scheduler)", 'none')
    .option('--nproc <n>', 'spawn n training processes on this machine (data-parallel; sets the environment itself)')
    .option('--nnodes <n>', 'with --nproc: number of machines', '1')
    .option('--node-rank <r>', "with --nproc: this machine's index, 0..nnodes-1", '0')
    .option('--master-addr <host>', 'with --nproc: address of node 0 (rank 0 serves the rendezvous store there)', '127.0.0.1')
    .option('--master-port <port>', 'with --nproc: rendezvous port on node 0 (default: a free port on one machine, 29500 on several)')
    .addHelpText('after', DIST_HELP)
    .action(async (file: string, opts: TrainOptions) => {
      if (opts.nproc !== undefined) await launchRanks(opts);
      const launcher = checkLauncher(opts.launcher, ['--launcher']);
      const cfg = await loadRunConfig(file, opts);
      if (launcher !== 'none') {
        watchLauncher();
        cfg.set('launcher', launcher, '--launcher');
        try {
          await initDist(launcher, cfg.get('env_cfg.dist_cfg', {}), { device: cfg.get<string | undefined>('env_cfg.device', undefined) });
        } catch (err) {
          throw err instanceof ConfigError ? cfg.locate(err) : err;
        }
      }
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
          console.error(`segkit: ${runner.rank ? `rank ${runner.rank}: ` : ''}${err.message}`);
          if (runner.rank === 0) printOutputs(runner.workDir, runner.logDir, runner.timestamp);
          process.exit(err.signal === 'SIGTERM' ? 143 : 130);
        }
        throw err instanceof ConfigError ? cfg.locate(err) : err;
      }
      if (torch.distributed.isInitialized()) {
        await torch.distributed.barrier();
        torch.distributed.destroyProcessGroup();
      }
      // The other ranks write no files; rank 0 reports them.
      if (runner.rank !== 0) return;
      printOutputs(runner.workDir, runner.logDir, runner.timestamp);
      const val = runner.lastMetrics.val;
      if (val) console.log(`  last val     ${Object.entries(val).filter(([, v]) => typeof v === 'number').map(([k, v]) => `${k}: ${(v as number).toFixed(4)}`).join('  ')}`);
    });
}
