// Data pipeline throughput on CamVid (decode + RandomResize + RandomCrop(cat_max_ratio) + RandomFlip +
// PhotoMetricDistortion + PackSegInputs), in images/s: segkit's DataLoader with worker threads against
// the same transforms in cv2/numpy under torch.utils.data.DataLoader with worker processes
// (bench/data_pipeline.py), same images in the same order, same workers and batch size; rounds
// alternate and medians are compared. `--profile` times each transform in the main thread instead.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DataLoader, buildDataset, type Dataset } from '../src/engine/dataset/index.js';
import { TRANSFORMS } from '../src/engine/registry/index.js';
import { SEG_DATASETS_MODULE } from '../src/seg/datasets/index.js';
import { median } from './fcn-step.js';

const PY_SCRIPT = fileURLToPath(new URL('../../bench/data_pipeline.py', import.meta.url));
export const CAMVID_ROOT = fileURLToPath(new URL('../../../shared/data/camvid-240x180', import.meta.url));

export interface PipelineOptions {
  numWorkers?: number;
  batchSize?: number;
  /** Untimed batches first (worker start-up, JIT). */
  warmup?: number;
  /** Timed batches. */
  batches?: number;
  rounds?: number;
  /** RandomResize's (w, h) base scale; CamVid's files are 240x180. */
  scale?: [number, number];
  ratioRange?: [number, number];
  /** (h, w) */
  cropSize?: [number, number];
}

const DEFAULTS: Required<PipelineOptions> = {
  numWorkers: 2, batchSize: 4, warmup: 5, batches: 40, rounds: 3, scale: [480, 360], ratioRange: [0.5, 2.0], cropSize: [160, 160],
};

export interface PipelineComparison {
  name: string;
  segkitImagesPerS: number;
  pythonImagesPerS: number;
  /** segkit / Python: above 1 means segkit is faster. */
  ratio: number;
}

export function camvidTrainPipeline(o: Required<PipelineOptions>): Record<string, unknown>[] {
  return [
    { type: 'LoadImageFromFile' },
    { type: 'LoadAnnotations' },
    { type: 'RandomResize', scale: o.scale, ratio_range: o.ratioRange, keep_ratio: true },
    { type: 'RandomCrop', crop_size: o.cropSize, cat_max_ratio: 0.75 },
    { type: 'RandomFlip', prob: 0.5 },
    { type: 'PhotoMetricDistortion' },
    { type: 'PackSegInputs' },
  ];
}

const datasetConfig = (o: Required<PipelineOptions>): Record<string, unknown> => ({
  type: 'CamVidDataset', data_root: CAMVID_ROOT, data_prefix: { img_path: 'train', seg_map_path: 'trainannot' }, pipeline: camvidTrainPipeline(o),
});

async function segkitRound(o: Required<PipelineOptions>, seed: number): Promise<number> {
  const loader = new DataLoader<{ inputs: unknown[] }>(datasetConfig(o),
    { batch_size: o.batchSize, num_workers: o.numWorkers, persistent_workers: o.numWorkers > 0, seed },
    { workerModules: [SEG_DATASETS_MODULE] });
  const it = loader[Symbol.asyncIterator]();
  try {
    for (let i = 0; i < o.warmup; i++) await it.next();
    const t0 = performance.now();
    let images = 0;
    for (let i = 0; i < o.batches; i++) {
      const next = await it.next();
      if (next.done) throw new Error(`data-pipeline: the epoch ended after ${o.warmup + i} batches; lower warmup + batches`);
      images += next.value.inputs.length;
    }
    return images / ((performance.now() - t0) / 1000);
  } finally {
    await it.return?.();
    await loader.close();
  }
}

const pythonArgs = (o: Required<PipelineOptions>): Record<string, unknown> => ({
  root: CAMVID_ROOT, split: 'train', num_workers: o.numWorkers, batch_size: o.batchSize, warmup: o.warmup, batches: o.batches,
  scale: o.scale, ratio_range: o.ratioRange, crop_size: o.cropSize, cat_max_ratio: 0.75, threads: 1,
});

function pythonRound(o: Required<PipelineOptions>): number {
  const out = execFileSync('/usr/bin/python3', [PY_SCRIPT, JSON.stringify(pythonArgs(o))], { env: { ...process.env, OMP_NUM_THREADS: '1' } });
  return (JSON.parse(out.toString()) as { images_per_s: number }).images_per_s;
}

export async function benchDataPipeline(opts: PipelineOptions = {}): Promise<PipelineComparison> {
  const o = { ...DEFAULTS, ...opts };
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < o.rounds; r++) {
    theirs.push(pythonRound(o));
    ours.push(await segkitRound(o, 1000 + r));
  }
  const segkitImagesPerS = median(ours);
  const pythonImagesPerS = median(theirs);
  return {
    name: `CamVid train pipeline (resize ${o.scale.join('x')} x[${o.ratioRange.join(', ')}], crop ${o.cropSize.join('x')}), `
      + `${o.numWorkers} workers, batch ${o.batchSize}`,
    segkitImagesPerS, pythonImagesPerS, ratio: segkitImagesPerS / pythonImagesPerS,
  };
}

/** Mean ms per image of each transform, segkit's in this thread and the cv2/numpy ones in one Python process, over `samples` images. */
export async function profileDataPipeline(opts: PipelineOptions & { samples?: number } = {}): Promise<{ name: string; ms: number; pythonMs: number }[]> {
  const o = { ...DEFAULTS, ...opts };
  const samples = opts.samples ?? 60;
  const dataset = buildDataset({ ...datasetConfig(o), pipeline: [] }) as Dataset & { getItem(i: number): Promise<Record<string, unknown>> };
  const pipeline = camvidTrainPipeline(o);
  const transforms = pipeline.map((cfg) => TRANSFORMS.build<{ transform(r: Record<string, unknown>): unknown }>(cfg));
  const totals = new Array<number>(transforms.length).fill(0);
  for (let i = 0; i < samples + 5; i++) {
    let results = { ...((await dataset.getItem(i % dataset.length)) as Record<string, unknown>) };
    for (const [k, t] of transforms.entries()) {
      const t0 = performance.now();
      results = (await t.transform(results)) as Record<string, unknown>;
      if (i >= 5) totals[k]! += performance.now() - t0;
    }
  }
  const python = JSON.parse(execFileSync('/usr/bin/python3', [PY_SCRIPT, JSON.stringify({ ...pythonArgs(o), profile: true, samples })],
    { env: { ...process.env, OMP_NUM_THREADS: '1' } }).toString()) as Record<string, number>;
  return pipeline.map((cfg, k) => ({ name: cfg.type as string, ms: totals[k]! / samples, pythonMs: python[cfg.type as string] ?? NaN }));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--profile')) {
    const rows = await profileDataPipeline();
    const total = rows.reduce((a, r) => a + r.ms, 0), pyTotal = rows.reduce((a, r) => a + r.pythonMs, 0);
    const cell = (ms: number): string => ms.toFixed(3).padStart(10);
    console.log(`${'ms per image'.padEnd(24)}${'segkit'.padStart(10)}  share${'cv2/numpy'.padStart(11)}  segkit/cv2`);
    for (const r of rows) {
      console.log(`${r.name.padEnd(24)}${cell(r.ms)}  ${((100 * r.ms) / total).toFixed(0).padStart(4)}%${cell(r.pythonMs)}  ${(r.ms / r.pythonMs).toFixed(1).padStart(9)}x`);
    }
    console.log(`${'total'.padEnd(24)}${cell(total)}       ${cell(pyTotal)}  ${(total / pyTotal).toFixed(1).padStart(9)}x`);
  } else {
    const r = await benchDataPipeline();
    console.log(`${r.name}: segkit ${r.segkitImagesPerS.toFixed(1)} images/s, Python+OpenCV ${r.pythonImagesPerS.toFixed(1)} images/s, ratio ${r.ratio.toFixed(2)} (aim >= 1.5)`);
  }
}
