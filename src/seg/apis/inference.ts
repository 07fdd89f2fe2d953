// MMSeg's inference API: build a segmentor from a config + checkpoint, run it on image files, draw the result.
import * as torch from '../../torch/index.js';
import { Config, loadConfig, isPlainObject, type ConfigDict } from '../../engine/config/index.js';
import { Compose } from '../../engine/dataset/compose.js';
import { MMLogger } from '../../engine/logging/logger.js';
import type { BaseModel } from '../../engine/model/base-model.js';
import { DATASETS, MODELS, Registry, TRANSFORMS } from '../../engine/registry/index.js';
import { loadCheckpointFile } from '../../engine/runner/checkpoint-file.js';
import type { RgbImage } from '../../engine/visualization/image.js';
import { datasetClassesAndPalette, type Palette } from '../visualization/class-names.js';
import type { SegDataSample } from '../structures/seg-data-sample.js';
import { readRgbImage } from '../visualization/read-image.js';
import { SegLocalVisualizer, type SegSampleToDraw } from '../visualization/seg-local-visualizer.js';

export interface DatasetMeta {
  classes: string[];
  palette: Palette;
  [key: string]: unknown;
}

/** A segmentor ready for inference: its config and the classes/palette it predicts (MMSeg's model.cfg, model.dataset_meta). */
export type InferenceModel = BaseModel & { cfg: Config; datasetMeta: DatasetMeta };

/** An image already in memory: `{ data, shape: [H, W, 3] }` in BGR order, as LoadImageFromNDArray takes it. */
export interface ImageArray {
  data: Uint8Array;
  shape: number[];
}
export type ImageInput = string | ImageArray;

/** What inferenceModel returns per image: a SegDataSample with `pred_sem_seg` and `seg_logits` at the image's size. */
export type SegResult = SegDataSample;

const DATASET_ALIASES = ['cityscapes', 'ade20k', 'voc', 'pascal_context', 'loveda', 'potsdam', 'vaihingen', 'isaid', 'stare', 'chase_db1', 'drive', 'hrf', 'camvid', 'cocostuff'];

function asConfig(config: string | Config | ConfigDict): Promise<Config> | Config {
  if (typeof config === 'string') return loadConfig(config);
  if (config instanceof Config) return config;
  if (isPlainObject(config)) return new Config(config);
  throw new TypeError(`initModel: config must be a file path, a Config or a config object, got ${typeof config}`);
}

function metaFrom(value: unknown): DatasetMeta | null {
  if (!isPlainObject(value) || !Array.isArray(value.classes) || !Array.isArray(value.palette)) return null;
  return { ...value, classes: value.classes.map(String), palette: value.palette as Palette };
}

/** Classes and palette of the config's test dataset: its `metainfo` option, else its class's METAINFO. */
function metaFromConfig(cfg: Config): DatasetMeta | null {
  const dataset = cfg.get<Record<string, unknown>>('test_dataloader.dataset');
  if (!isPlainObject(dataset)) return null;
  const given = metaFrom(dataset.metainfo);
  if (given) return given;
  const cls = typeof dataset.type === 'string' ? DATASETS.get(dataset.type) : dataset.type;
  return metaFrom((cls as { METAINFO?: unknown } | undefined)?.METAINFO);
}

/** MMSeg's last resort: the first known dataset with as many classes as the decode head predicts, else Cityscapes. */
function metaByNumClasses(cfg: Config): DatasetMeta {
  const numClasses = cfg.get<number>('model.decode_head.num_classes');
  for (const name of DATASET_ALIASES) {
    try {
      const meta = datasetClassesAndPalette(name);
      if (meta.classes.length === numClasses) return { ...meta };
    } catch {
      // That dataset is not registered: try the next.
    }
  }
  MMLogger.getCurrentInstance().warning('No dataset with a matching number of classes found; using Cityscapes classes and palette');
  return { ...datasetClassesAndPalette('cityscapes') };
}

/**
 * MMSeg's init_model: loads the config (file, Config or object), builds `model` from MODELS without
 * pretrained/training settings, loads a segkit checkpoint (weights under `state_dict`, non-strict
 * as MMEngine's load_checkpoint) and sets datasetMeta from the checkpoint's meta, else from the
 * config's test dataset, else by number of classes. `device` defaults to cuda when available.
 */
export async function initModel(config: string | Config | ConfigDict, checkpoint: string | null = null, device?: string,
  cfgOptions?: Record<string, unknown>): Promise<InferenceModel> {
  const cfg = await asConfig(config);
  if (cfgOptions) cfg.mergeFromDict(cfgOptions);
  const modelCfg = cfg.get<Record<string, unknown>>('model');
  if (!isPlainObject(modelCfg)) throw new Error(`initModel: the config has no model section${cfg.filename ? ` (${cfg.filename})` : ''}`);
  const model = { ...modelCfg };
  // No ImageNet weights and no training settings for inference (MMSeg sets these to None).
  if (!cfgOptions && isPlainObject(model.backbone) && 'init_cfg' in model.backbone) model.backbone = { ...model.backbone, init_cfg: null };
  for (const key of ['pretrained', 'train_cfg']) if (key in model) model[key] = null;
  const topPreprocessor = cfg.get('data_preprocessor');
  if (topPreprocessor !== undefined && model.data_preprocessor === undefined) model.data_preprocessor = topPreprocessor;
  const built = MODELS.build<BaseModel>(model, { keyPath: ['model'] }) as InferenceModel;

  let meta: DatasetMeta | null = null;
  if (checkpoint !== null) {
    const ckpt = loadCheckpointFile(checkpoint, { device: 'cpu' });
    try {
      const weights = ckpt.state_dict ?? ckpt;
      const map = weights instanceof Map ? weights as Map<string, torch.Tensor> : new Map(Object.entries(weights as Record<string, torch.Tensor>));
      const { missingKeys, unexpectedKeys } = built.loadStateDict(map, { strict: false });
      const logger = MMLogger.getCurrentInstance();
      if (missingKeys.length) logger.warning(`${checkpoint}: missing keys in the checkpoint: ${missingKeys.join(', ')}`);
      if (unexpectedKeys.length) logger.warning(`${checkpoint}: unexpected keys in the checkpoint: ${unexpectedKeys.join(', ')}`);
      const ckptMeta = (ckpt.meta ?? {}) as Record<string, unknown>;
      meta = metaFrom(ckptMeta.dataset_meta) ?? metaFrom({ classes: ckptMeta.CLASSES, palette: ckptMeta.PALETTE });
    } finally {
      torch.dispose(ckpt);
    }
  }
  if (!meta) {
    meta = metaFromConfig(cfg);
    if (!meta && checkpoint !== null) MMLogger.getCurrentInstance().warning(`${checkpoint}: dataset_meta or class names are not saved in the checkpoint's meta data; classes and palette are set according to num_classes`);
  }
  built.datasetMeta = meta ?? metaByNumClasses(cfg);
  built.cfg = cfg;
  const target = device ?? (torch.cuda.isAvailable() ? 'cuda' : 'cpu');
  if (target !== 'cpu') built.to(target);
  built.eval();
  return built;
}

const typeName = (t: unknown): string => (typeof t === 'string' ? Registry.stripScope(t) : typeof t === 'function' ? t.name : '');

/**
 * The inference pipeline: the config's `test_pipeline` (MMSeg reads that key), else the test
 * dataset's pipeline, without LoadAnnotations; for in-memory images the first step becomes
 * LoadImageFromNDArray.
 */
export function inferencePipeline(cfg: Config, fromArrays: boolean): Record<string, unknown>[] {
  const source = cfg.get<unknown[]>('test_pipeline') ?? cfg.get<unknown[]>('test_dataloader.dataset.pipeline');
  if (!Array.isArray(source) || source.length === 0) {
    throw new Error(`inferenceModel: the config has no test_pipeline (or test_dataloader.dataset.pipeline)${cfg.filename ? ` in ${cfg.filename}` : ''}`);
  }
  const pipeline = source.filter((t) => !(isPlainObject(t) && typeName(t.type) === 'LoadAnnotations')).map((t) => ({ ...(t as Record<string, unknown>) }));
  if (fromArrays) {
    if (!TRANSFORMS.has('LoadImageFromNDArray')) throw new Error('inferenceModel: images given as arrays need the LoadImageFromNDArray transform, which is not registered');
    pipeline[0] = { ...pipeline[0], type: 'LoadImageFromNDArray' };
  }
  return pipeline;
}

/**
 * MMSeg's inference_model: runs the test pipeline on each image (a file path, or a BGR
 * `{data, shape: [H, W, 3]}` array), predicts the batch with model.testStep (no gradients) and
 * returns one SegDataSample per image (just one for a single image). The caller owns the
 * result's tensors (torch.dispose(result) frees them).
 */
export async function inferenceModel(model: InferenceModel, imgs: ImageInput): Promise<SegResult>;
export async function inferenceModel(model: InferenceModel, imgs: readonly ImageInput[]): Promise<SegResult[]>;
export async function inferenceModel(model: InferenceModel, imgs: ImageInput | readonly ImageInput[]): Promise<SegResult | SegResult[]> {
  const isBatch = Array.isArray(imgs);
  const list = (isBatch ? imgs : [imgs]) as ImageInput[];
  if (list.length === 0) return [];
  const pipeline = new Compose(inferencePipeline(model.cfg, typeof list[0] !== 'string'), ['test_pipeline']);
  // As MMSeg's _preprare_data: lists of inputs and of data samples (each sample stays whole).
  const batch: { inputs: unknown[]; data_samples: unknown[] } = { inputs: [], data_samples: [] };
  for (const img of list) {
    const data = await pipeline.transform(typeof img === 'string' ? { img_path: img } : { img });
    if (data === null) throw new Error(`inferenceModel: the test pipeline dropped ${typeof img === 'string' ? img : 'an image array'}`);
    batch.inputs.push(data.inputs);
    batch.data_samples.push(data.data_samples);
  }
  const results = model.testStep(batch) as SegResult[];
  return isBatch ? results : results[0]!;
}

export interface ShowResultOptions {
  /** Opacity of the painted segmentation map, in (0, 1]. */
  opacity?: number;
  title?: string;
  drawGt?: boolean;
  drawPred?: boolean;
  withLabels?: boolean;
  waitTime?: number;
  /** No window here: `show` writes the drawing to a file and logs where (see SegLocalVisualizer). */
  show?: boolean;
  /** Vis-backend folder (LocalVisBackend under <saveDir>/vis_data) when no outFile is given. */
  saveDir?: string;
  outFile?: string;
}

/**
 * MMSeg's show_result_pyplot: draws `result` over the image (a path or RGB pixels) with the
 * model's classes and palette, writes it to `outFile` (or the vis backends under `saveDir`) and
 * returns the drawn image. `show` defaults to false: a server has no window to show it in.
 */
export async function showResult(model: InferenceModel, img: string | RgbImage, result: SegSampleToDraw, options: ShowResultOptions = {}): Promise<RgbImage> {
  const { opacity = 0.5, title = '', drawGt = true, drawPred = true, withLabels = true, waitTime = 0, show = false, saveDir, outFile } = options;
  if (!(opacity > 0 && opacity <= 1)) throw new RangeError(`showResult: opacity must be in (0, 1], got ${opacity}`);
  const image = typeof img === 'string' ? await readRgbImage(img) : img;
  const visualizer = new SegLocalVisualizer({
    name: 'segkit_show_result',
    vis_backends: saveDir ? [{ type: 'LocalVisBackend' }] : null,
    save_dir: saveDir ?? null,
    alpha: opacity,
  });
  visualizer.datasetMeta = { classes: model.datasetMeta.classes, palette: model.datasetMeta.palette };
  await visualizer.addDatasample(title, image, { dataSample: result, drawGt, drawPred, waitTime, outFile, show, withLabels });
  await visualizer.close();
  const drew = (drawGt && result.gt_sem_seg) || (drawPred && result.pred_sem_seg);
  return drew ? visualizer.getImage() : image;
}
