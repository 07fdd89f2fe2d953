// `segkit test CONFIG CHECKPOINT`: MMSeg's tools/test.py — load the checkpoint into the config's model, run the test loop, print the metrics.
import type { Command } from 'commander';
import { relative, resolve } from 'node:path';
import { buildRunner, ConfigError, isPlainObject, type Config, type MetricValues, type Runner } from '../engine/index.js';
import '../seg/evaluation/index.js';
import '../seg/visualization/index.js';
import '../seg/engine/hooks/index.js';
import { loadRunConfig } from './load.js';
import { checkLauncher, initDist } from '../engine/runner/dist-env.js';

export interface TestCommandOptions {
  workDir?: string;
  show?: boolean;
  showDir?: string;
  waitTime?: number;
  out?: string;
  formatOnly?: boolean;
  cfgOptions?: string[];
  launcher?: string;
  tta?: boolean;
}

/**
 * MMSeg's trigger_visualization_hook: turns on SegVisualizationHook drawing; --show also shows
 * (writes and logs, here), --show-dir becomes the visualizer's save_dir. MMSeg stops when
 * default_hooks has no `visualization`; segkit adds `{type: 'SegVisualizationHook'}` instead.
 */
export function triggerVisualizationHook(cfg: Config, opts: Pick<TestCommandOptions, 'show' | 'showDir' | 'waitTime'>): void {
  if (!isPlainObject(cfg.get('default_hooks.visualization'))) cfg.set('default_hooks.visualization', { type: 'SegVisualizationHook' }, '--show/--show-dir');
  cfg.set('default_hooks.visualization.draw', true, '--show/--show-dir');
  if (opts.show) {
    cfg.set('default_hooks.visualization.show', true, '--show');
    cfg.set('default_hooks.visualization.wait_time', opts.waitTime ?? 2, '--wait-time');
  }
  if (opts.showDir) {
    if (!isPlainObject(cfg.get('visualizer'))) {
      cfg.set('visualizer', { type: 'SegLocalVisualizer', vis_backends: [{ type: 'LocalVisBackend' }], name: 'visualizer' }, '--show-dir');
    }
    cfg.set('visualizer.save_dir', opts.showDir, '--show-dir');
  }
}

/** --out: IoUMetric writes each prediction as a PNG there (MMSeg also sets keep_results); --format-only skips the metrics. */
function setOutputDir(cfg: Config, out: string, formatOnly: boolean): void {
  const evaluator = cfg.get('test_evaluator');
  const entries: [string, unknown][] = Array.isArray(evaluator) ? evaluator.map((m, i) => [`test_evaluator.${i}`, m]) : [['test_evaluator', evaluator]];
  const metrics = entries.filter(([, m]) => isPlainObject(m) && m.type !== 'Evaluator');
  if (metrics.length === 0) throw new ConfigError(['test_evaluator'], '--out needs a test_evaluator metric config (e.g. {type: \'IoUMetric\'})');
  for (const [path] of metrics) {
    cfg.set(`${path}.output_dir`, out, '--out');
    cfg.set(`${path}.keep_results`, true, '--out');
    if (formatOnly) cfg.set(`${path}.format_only`, true, '--format-only');
  }
}

/**
 * MMSeg's --tta: the test set is read with `tta_pipeline` and the model becomes `tta_model`
 * wrapping `model` (tta_model.module = model). Each missing piece is named.
 */
export function useTestTimeAug(cfg: Config): void {
  const ttaModel = cfg.get<unknown>('tta_model', null);
  if (ttaModel === null) throw new ConfigError(['tta_model'], "--tta needs tta_model in the config (MMSeg's default_runtime declares tta_model = {type: 'SegTTAModel'})");
  if (!isPlainObject(ttaModel)) throw new ConfigError(['tta_model'], `--tta: expected a model config such as {type: 'SegTTAModel'}, got ${JSON.stringify(ttaModel)}`);
  const ttaPipeline = cfg.get<unknown>('tta_pipeline', null);
  if (ttaPipeline === null) throw new ConfigError(['tta_pipeline'], "--tta needs tta_pipeline in the config (MMSeg's dataset configs declare it: LoadImageFromFile, then TestTimeAug over the augmentations)");
  if (!Array.isArray(ttaPipeline)) throw new ConfigError(['tta_pipeline'], `--tta: expected a list of transform configs, got ${JSON.stringify(ttaPipeline)}`);
  if (!isPlainObject(cfg.get('test_dataloader.dataset'))) throw new ConfigError(['test_dataloader', 'dataset'], '--tta replaces the test dataset\'s pipeline, but the config has no test_dataloader.dataset');
  const model = cfg.get<unknown>('model', null);
  if (!isPlainObject(model)) throw new ConfigError(['model'], `--tta wraps the model config in tta_model, got ${JSON.stringify(model)}`);
  cfg.set('test_dataloader.dataset.pipeline', ttaPipeline, '--tta (tta_pipeline)');
  cfg.set('model', { ...ttaModel, module: model }, '--tta (tta_model)');
}

/** Builds the Runner with load_from = checkpoint and runs the test loop; returns its metrics. */
export async function runTest(file: string, checkpoint: string, opts: TestCommandOptions = {}): Promise<{ runner: Runner; metrics: MetricValues }> {
  const launcher = checkLauncher(opts.launcher ?? 'none', ['--launcher']);
  const cfg = await loadRunConfig(file, opts);
  if (launcher !== 'none') {
    // Each rank tests its shard; IoUMetric gathers the results, so the metrics equal one process's.
    cfg.set('launcher', launcher, '--launcher');
    try {
      await initDist(launcher, cfg.get('env_cfg.dist_cfg', {}), { device: cfg.get<string | undefined>('env_cfg.device', undefined) });
    } catch (err) {
      throw err instanceof ConfigError ? cfg.locate(err) : err;
    }
  }
  cfg.set('load_from', resolve(checkpoint), 'CHECKPOINT');
  if (opts.tta) {
    try {
      useTestTimeAug(cfg);
    } catch (err) {
      throw cfg.locate(err);
    }
  }
  if (opts.show || opts.showDir) triggerVisualizationHook(cfg, opts);
  if (opts.formatOnly && !opts.out) throw new ConfigError(['--format-only'], 'needs --out DIR to write the predictions to');
  if (opts.out) setOutputDir(cfg, resolve(opts.out), opts.formatOnly ?? false);
  let runner: Runner;
  try {
    runner = buildRunner(cfg.dict as Record<string, unknown>, { filename: cfg.filename });
    return { runner, metrics: await runner.test() };
  } catch (err) {
    throw err instanceof ConfigError ? cfg.locate(err) : err;
  }
}

const rel = (p: string): string => relative(process.cwd(), p) || '.';

export function registerTest(program: Command): void {
  program
    .command('test')
    .description('test a checkpoint on the config\'s test split and print its metrics (MMSeg\'s tools/test.py)')
    .argument('<config>', 'config file')
    .argument('<checkpoint>', 'segkit checkpoint (.ckpt) whose weights are loaded')
    .option('--work-dir <dir>', 'where the log goes (default: work_dirs/<config name>)')
    .option('--out <dir>', 'also write each prediction as a PNG label map into this folder')
    .option('--format-only', 'with --out: only write the predictions (a split without labels), no metrics')
    .option('--show', 'show the drawn predictions (no display here: written to files and logged)')
    .option('--show-dir <dir>', 'draw predictions over their images into <dir>/vis_data/vis_image')
    .option('--wait-time <seconds>', 'the interval of --show', parseFloat, 2)
    .option('--tta', 'test-time augmentation: read the test set with tta_pipeline and merge the predictions with tta_model (MMSeg\'s --tta)')
    .option('--cfg-options <key=value...>', 'override a config value, e.g. test_evaluator.iou_metrics=[mIoU,mDice] (repeatable)')
    .option('--launcher <kind>', "'none' (one process) or 'pytorch' (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT set by torchrun or a scheduler)", 'none')
    .action(async (file: string, checkpoint: string, opts: TestCommandOptions) => {
      const { metrics } = await runTest(file, checkpoint, opts);
      const numbers = Object.entries(metrics).filter(([, v]) => typeof v === 'number');
      console.log(numbers.length ? numbers.map(([k, v]) => `${k}: ${(v as number).toFixed(2)}`).join('  ') : 'no metrics (format only)');
      if (opts.out) console.log(`predictions  ${rel(resolve(opts.out))}`);
      if (opts.showDir) console.log(`drawings     ${rel(resolve(opts.showDir, 'vis_data', 'vis_image'))}`);
    });
}
