// A tiny segmentation task for the evaluation/visualization/inference/CLI tests: PNG files on disk, a
// 1x1-conv segmentor and its own load/pack transforms, registered under Tiny* names so they never
// clash with the real toolbox components.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import * as torch from '../../torch/index.js';
import { Tensor } from '../../torch/index.js';
import { Compose, type Results } from '../../engine/dataset/compose.js';
import { BaseModel, type ForwardMode, type Losses } from '../../engine/model/base-model.js';
import { saveCheckpointFile } from '../../engine/runner/checkpoint-file.js';
import { BaseDataPreprocessor } from '../../engine/model/data-preprocessor.js';
import { COLLATE_FUNCTIONS, DATASETS, MODELS, TRANSFORMS, type Constructor } from '../../engine/registry/index.js';

export const TINY_CLASSES = ['blue', 'green', 'red'];
export const TINY_PALETTE: [number, number, number][] = [[0, 0, 255], [0, 255, 0], [255, 0, 0]];

/** Decodes `img_path` into a BGR `{ data, shape: [H, W, 3] }` (as mmcv loads images). */
export class TinyLoadImage {
  async transform(results: Results): Promise<Results> {
    const { data, info } = await sharp(results.img_path as string).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    const bgr = new Uint8Array(data.length);
    for (let p = 0; p < data.length; p += 3) {
      bgr[p] = data[p + 2]!;
      bgr[p + 1] = data[p + 1]!;
      bgr[p + 2] = data[p]!;
    }
    return { ...results, img: { data: bgr, shape: [info.height, info.width, 3] }, img_shape: [info.height, info.width], ori_shape: [info.height, info.width] };
  }
}
TRANSFORMS.register(TinyLoadImage);

/** Reads `seg_map_path` (an 8-bit PNG of class ids) into `gt_seg_map`. */
export class TinyLoadAnnotations {
  async transform(results: Results): Promise<Results> {
    const { data, info } = await sharp(results.seg_map_path as string).raw().toBuffer({ resolveWithObject: true });
    const labels = new Uint8Array(info.width * info.height);
    for (let p = 0; p < labels.length; p++) labels[p] = data[p * info.channels]!;
    return { ...results, gt_seg_map: { data: labels, shape: [info.height, info.width] } };
  }
}
TRANSFORMS.register(TinyLoadAnnotations);

/** PackSegInputs' output: CHW inputs and a SegDataSample with metainfo (and gt_sem_seg when loaded). */
export class TinyPackSegInputs {
  transform(results: Results): Results {
    const img = results.img as { data: Uint8Array; shape: number[] };
    const [h, w] = img.shape as [number, number];
    const chw = new Uint8Array(h * w * 3);
    for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) chw[c * h * w + p] = img.data[p * 3 + c]!;
    const sample: Record<string, unknown> = {
      metainfo: { img_path: results.img_path, seg_map_path: results.seg_map_path, ori_shape: results.ori_shape, img_shape: results.img_shape },
    };
    const gt = results.gt_seg_map as { data: Uint8Array; shape: number[] } | undefined;
    if (gt) sample.gt_sem_seg = { data: { data: gt.data, shape: [1, ...gt.shape] } };
    return { inputs: { data: chw, shape: [3, h, w] }, data_samples: sample };
  }
}
TRANSFORMS.register(TinyPackSegInputs);

/** `<data_root>/<img_dir>/*.png` with labels of the same name in `<data_root>/<ann_dir>`. */
export class TinySegDataset {
  static readonly METAINFO = { classes: TINY_CLASSES, palette: TINY_PALETTE };
  readonly metainfo = { classes: [...TINY_CLASSES], palette: TINY_PALETTE.map((c) => [...c]) };
  readonly #list: { img_path: string; seg_map_path: string }[];
  readonly #pipeline: Compose;

  constructor(options: { data_root: string; img_dir?: string; ann_dir?: string; pipeline?: unknown[] }) {
    const imgDir = join(options.data_root, options.img_dir ?? 'img');
    const annDir = join(options.data_root, options.ann_dir ?? 'ann');
    this.#list = readdirSync(imgDir).filter((f) => f.endsWith('.png')).sort().map((f) => ({ img_path: join(imgDir, f), seg_map_path: join(annDir, f) }));
    this.#pipeline = new Compose(options.pipeline ?? [], ['pipeline']);
  }

  get length(): number {
    return this.#list.length;
  }

  async getItem(i: number): Promise<Results> {
    const out = await this.#pipeline.transform({ ...this.#list[i]! });
    if (!out) throw new Error(`TinySegDataset: the pipeline dropped sample ${i}`);
    return out;
  }
}
DATASETS.register(TinySegDataset);

/** Per-pixel class = argmax of a 1x1 convolution over the BGR input / 255 (identity weights: the brightest channel). */
export class TinySegmentor extends BaseModel {
  readonly dataPreprocessor: BaseDataPreprocessor;
  readonly conv_seg: torch.nn.Conv2d;

  constructor(options: { num_classes?: number; data_preprocessor?: unknown; train_cfg?: unknown; test_cfg?: unknown; pretrained?: unknown } = {}) {
    super();
    this.dataPreprocessor = this.registerModule('data_preprocessor', new BaseDataPreprocessor());
    this.conv_seg = this.registerModule('conv_seg', new torch.nn.Conv2d(3, options.num_classes ?? 3, 1));
  }

  override forward(inputs: Tensor, dataSamples: unknown[] | undefined, mode: ForwardMode): unknown {
    const logits = this.conv_seg.forward(inputs.float().div(255));
    if (mode === 'tensor') return logits;
    const samples = (dataSamples ?? []) as Record<string, unknown>[];
    if (mode === 'loss') {
      const target = torch.stack(samples.map((s) => ((s.gt_sem_seg as { data: Tensor }).data).long().squeeze(0)));
      return { 'decode.loss_ce': torch.F.crossEntropy(logits, target, { ignoreIndex: 255 }) } satisfies Losses;
    }
    const pred = logits.argmax(1, true);
    return samples.map((s, i) => ({
      ...s,
      seg_logits: { data: logits.select(0, i) },
      pred_sem_seg: { data: pred.select(0, i) },
    }));
  }
}
MODELS.register(TinySegmentor);

/** Identity weights: class c wins where BGR channel c is the brightest (blue 0, green 1, red 2). */
export function tinyIdentityWeights(model: TinySegmentor): void {
  torch.tidy(() => torch.noGrad(() => {
    model.conv_seg.weight.copy_(torch.eye(3).view(3, 3, 1, 1));
    model.conv_seg.bias!.fill_(0);
  }));
}

/**
 * MMEngine's pseudo_collate as it treats SegDataSamples (data elements, not dicts): lists of
 * inputs and of whole data samples. segkit's pseudoCollate recurses into plain-object samples.
 */
export function tinySegCollate(batch: unknown[]): { inputs: unknown[]; data_samples: unknown[] } {
  const items = batch as { inputs: unknown; data_samples: unknown }[];
  return { inputs: items.map((b) => b.inputs), data_samples: items.map((b) => b.data_samples) };
}
COLLATE_FUNCTIONS.register(tinySegCollate as unknown as Constructor, 'tiny_seg_collate');

export const TINY_H = 24;
export const TINY_W = 32;

/**
 * Writes `n` images of three colour bands (blue, green, red from the top) and their labels to
 * `<root>/img` and `<root>/ann`. The labels follow the bands except a 4x4 block labelled green
 * inside the red band and two ignored rows, so a perfect colour classifier scores below 100.
 */
export async function writeTinyData(root: string, n: number): Promise<string[]> {
  const files: string[] = [];
  mkdirSync(join(root, 'img'), { recursive: true });
  mkdirSync(join(root, 'ann'), { recursive: true });
  for (let i = 0; i < n; i++) {
    const rgb = Buffer.alloc(TINY_H * TINY_W * 3);
    const labels = Buffer.alloc(TINY_H * TINY_W);
    for (let y = 0; y < TINY_H; y++) {
      for (let x = 0; x < TINY_W; x++) {
        const p = y * TINY_W + x;
        const band = y < 8 ? 0 : y < 16 ? 1 : 2;
        const [r, g, b] = TINY_PALETTE[band]!;
        rgb.set([Math.round(r * 0.8), Math.round(g * 0.8), Math.round(b * 0.8)], p * 3);
        labels[p] = y === 7 + i % 2 || y === 23 ? 255 : band === 2 && x >= 4 + i && x < 8 + i && y >= 18 && y < 22 ? 1 : band;
      }
    }
    const name = `tiny_${String(i).padStart(3, '0')}.png`;
    await sharp(rgb, { raw: { width: TINY_W, height: TINY_H, channels: 3 } }).png().toFile(join(root, 'img', name));
    await sharp(labels, { raw: { width: TINY_W, height: TINY_H, channels: 1 } }).png().toFile(join(root, 'ann', name));
    files.push(join(root, 'img', name));
  }
  return files;
}

/** A tiny segmentor with identity weights saved as a segkit checkpoint with its dataset meta. */
export function writeTinyCheckpoint(file: string): void {
  const model = new TinySegmentor();
  tinyIdentityWeights(model);
  const stateDict = model.stateDict();
  saveCheckpointFile({ meta: { dataset_meta: { classes: TINY_CLASSES, palette: TINY_PALETTE } }, state_dict: stateDict }, file);
  torch.dispose([...stateDict.values()]);
}

/** A test config over `root` (see writeTinyData); `fixture` is this module's compiled path for custom_imports. */
export function tinyConfig(root: string, fixture: string): Record<string, unknown> {
  const pipeline = [{ type: 'TinyLoadImage' }, { type: 'TinyLoadAnnotations' }, { type: 'TinyPackSegInputs' }];
  const loader = { batch_size: 2, num_workers: 0, sampler: { type: 'DefaultSampler', shuffle: false }, collate_fn: { type: 'tiny_seg_collate' } };
  return {
    custom_imports: { imports: [fixture] },
    model: { type: 'TinySegmentor', num_classes: 3, train_cfg: {}, test_cfg: { mode: 'whole' } },
    // Inference reads test_pipeline, as MMSeg; its LoadAnnotations must be skipped (it is not even registered here).
    test_pipeline: [{ type: 'TinyLoadImage' }, { type: 'LoadAnnotations' }, { type: 'TinyPackSegInputs' }],
    train_dataloader: { ...loader, dataset: { type: 'TinySegDataset', data_root: root, pipeline } },
    test_dataloader: { ...loader, dataset: { type: 'TinySegDataset', data_root: root, pipeline } },
    test_cfg: { type: 'TestLoop' },
    test_evaluator: { type: 'IoUMetric', iou_metrics: ['mIoU'] },
    default_hooks: { visualization: { type: 'SegVisualizationHook' } },
    visualizer: { type: 'SegLocalVisualizer', vis_backends: [{ type: 'LocalVisBackend' }], name: 'visualizer' },
    log_processor: { by_epoch: false },
    randomness: { seed: 0 },
  };
}
