// `segkit browse-dataset CONFIG`: MMSeg's browse_dataset.py — the train pipeline's output with its labels drawn.
import type { Command } from 'commander';
import { basename, join, relative, resolve } from 'node:path';
import { buildDataset, ConfigError, isPlainObject, VISUALIZERS, type Visualizer } from '../engine/index.js';
import { chwBgrToRgbImage } from '../seg/visualization/index.js';
import '../seg/visualization/index.js';
import { loadRunConfig } from './load.js';

export interface BrowseDatasetOptions {
  outputDir?: string;
  num?: number;
  notShow?: boolean;
  showInterval?: number;
  cfgOptions?: string[];
}

interface PackedSample {
  inputs?: { data: ArrayLike<number>; shape: number[] };
  data_samples?: { metainfo?: { img_path?: string }; gt_sem_seg?: { data: unknown } };
}

/** Draws the ground truth of the first `num` train samples (after the train pipeline); returns how many. */
export async function runBrowseDataset(configFile: string, opts: BrowseDatasetOptions = {}): Promise<number> {
  const cfg = await loadRunConfig(configFile, { cfgOptions: opts.cfgOptions });
  const datasetCfg = cfg.get('train_dataloader.dataset');
  if (!isPlainObject(datasetCfg)) throw cfg.locate(new ConfigError(['train_dataloader', 'dataset'], 'browse-dataset needs the train dataset config'));
  const visCfg = cfg.get<Record<string, unknown>>('visualizer') ?? { type: 'SegLocalVisualizer' };
  let dataset;
  let visualizer: Visualizer;
  try {
    dataset = buildDataset<PackedSample>(datasetCfg, { keyPath: ['train_dataloader', 'dataset'] });
    visualizer = VISUALIZERS.build<Visualizer>({ ...visCfg }, { keyPath: ['visualizer'] });
  } catch (err) {
    throw err instanceof ConfigError ? cfg.locate(err) : err;
  }
  if (dataset.metainfo) visualizer.datasetMeta = dataset.metainfo;
  const count = Math.min(opts.num ?? dataset.length, dataset.length);
  for (let i = 0; i < count; i++) {
    const item = await dataset.getItem(i);
    if (!item.inputs || !item.data_samples) throw new Error(`train sample ${i}: expected {inputs, data_samples} from the pipeline (end it with PackSegInputs)`);
    const imgPath = item.data_samples.metainfo?.img_path ?? `sample_${i}.png`;
    const name = basename(imgPath);
    await visualizer.addDatasample(name, chwBgrToRgbImage(item.inputs, `train sample ${i} (${imgPath}): inputs`), {
      dataSample: item.data_samples, drawGt: true, drawPred: false, waitTime: opts.showInterval ?? 2,
      outFile: opts.outputDir ? join(opts.outputDir, name) : undefined, show: !opts.notShow,
    });
  }
  await visualizer.close();
  return count;
}

export function registerBrowseDataset(program: Command): void {
  program
    .command('browse-dataset')
    .description('draw the labels of train samples after the train pipeline (MMSeg\'s browse_dataset.py)')
    .argument('<config>', 'config file')
    .option('--output-dir, --out <dir>', 'write the drawings here (same file names as the images)')
    .option('--num <n>', 'how many samples (default: all)', (v: string) => Number.parseInt(v, 10))
    .option('--not-show', 'do not show the drawings (no display here: show writes them to files and logs where)')
    .option('--show-interval <seconds>', 'the interval of show', parseFloat, 2)
    .option('--cfg-options <key=value...>', 'override a config value (repeatable)')
    .action(async (file: string, opts: Omit<BrowseDatasetOptions, 'outputDir'> & { out?: string }) => {
      const outputDir = opts.out;
      if (opts.num !== undefined && !(Number.isInteger(opts.num) && opts.num > 0)) throw new ConfigError(['--num'], `expected a positive integer, got ${opts.num}`);
      const count = await runBrowseDataset(file, { ...opts, outputDir });
      console.log(`drew ${count} sample${count === 1 ? '' : 's'}${outputDir ? ` into ${relative(process.cwd(), resolve(outputDir)) || '.'}` : ''}`);
    });
}
