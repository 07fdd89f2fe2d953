// IoUMetric (MMSeg's): per-class areas per image, then aAcc, mIoU/mAcc, mDice, mFscore over the split.
import { mkdirSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import { Tensor } from '../../../torch/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { BaseMetric, type MetricValues } from '../../../engine/evaluator/metric.js';
import { MMLogger, printLog } from '../../../engine/logging/logger.js';
import type { DataBatch } from '../../../engine/model/base-model.js';
import { METRICS } from '../../../engine/registry/index.js';
import { isNdArray, type SegDataSample } from '../../structures/seg-data-sample.js';
import { writeGrayPng } from './gray-png.js';
import { formatTable, intersectAndUnion, sumAreas, totalAreaToMetrics, type IouAreas, type IouMetricName } from './iou-areas.js';
import { classPercentF32, summaryPercent } from './numpy-float.js';

const metricName = z.enum(['mIoU', 'mDice', 'mFscore']);

export const iouMetricOptionsSchema = z.object({
  ignore_index: z.number().int().default(255),
  // A single name counts as a list of one, as in MMSeg.
  iou_metrics: z.preprocess((v) => (typeof v === 'string' ? [v] : v), z.array(metricName)).default(['mIoU']),
  nan_to_num: z.number().nullable().default(null),
  beta: z.number().default(1),
  collect_device: z.enum(['cpu', 'gpu']).default('cpu'),
  /** Where prediction PNGs (named after the image) are written; none when null. */
  output_dir: z.string().nullable().default(null),
  /** Only write the predictions (a test split without labels): no metrics. */
  format_only: z.boolean().default(false),
  prefix: z.string().nullable().default(null),
  /** Set by MMSeg's tools/test.py along with output_dir; IoUMetric ignores it there too. */
  keep_results: z.boolean().optional(),
}).strict();

export type IoUMetricOptions = Omit<z.input<typeof iouMetricOptionsSchema>, 'iou_metrics'> & { iou_metrics?: IouMetricName | IouMetricName[] };

/** What IoUMetric reads: pred_sem_seg, gt_sem_seg (unless format_only) and metainfo.img_path / reduce_zero_label. */
type SegSampleLike = Partial<SegDataSample>;

/** A label map as a tensor: Tensors pass through, NdArrays ({data, shape}) are wrapped. */
function labelTensor(data: unknown, where: string): Tensor {
  if (data instanceof Tensor) return data;
  if (isNdArray(data)) return torch.tensor(data.data as Uint8Array, { shape: data.shape });
  throw new TypeError(`${where}: expected a Tensor or an NdArray {data, shape}, got ${typeof data}`);
}

export class IoUMetric extends BaseMetric {
  readonly ignoreIndex: number;
  readonly metrics: IouMetricName[];
  readonly nanToNum: number | null;
  readonly beta: number;
  readonly outputDir: string | null;
  readonly formatOnly: boolean;
  declare results: IouAreas[];

  constructor(options: IoUMetricOptions = {}) {
    const opts = parseOptions(iouMetricOptionsSchema, options);
    super({ collect_device: opts.collect_device, prefix: opts.prefix });
    this.ignoreIndex = opts.ignore_index;
    this.metrics = opts.iou_metrics;
    this.nanToNum = opts.nan_to_num;
    this.beta = opts.beta;
    this.outputDir = opts.output_dir;
    this.formatOnly = opts.format_only;
    if (this.outputDir) mkdirSync(this.outputDir, { recursive: true });
  }

  #numClasses(): number {
    const classes = this.datasetMeta?.classes;
    if (!Array.isArray(classes) || classes.length === 0) {
      throw new Error('IoUMetric: dataset_meta.classes is missing; the evaluator sets it from the dataset\'s metainfo (or set metric.datasetMeta)');
    }
    return classes.length;
  }

  /** Keeps the four area vectors of each sample (no tensors), and writes prediction PNGs when output_dir is set. */
  override process(_dataBatch: DataBatch, dataSamples: unknown[]): void {
    const numClasses = this.#numClasses();
    (dataSamples as SegSampleLike[]).forEach((sample, i) => {
      const where = `IoUMetric.process: data sample ${i}${sample.metainfo?.img_path ? ` (${sample.metainfo.img_path})` : ''}`;
      if (!sample.pred_sem_seg) throw new Error(`${where}: no pred_sem_seg`);
      torch.tidy(() => {
        const pred = labelTensor(sample.pred_sem_seg!.data, `${where}: pred_sem_seg.data`).squeeze();
        if (torch.isFloatingDType(pred.dtype)) throw new TypeError(`${where}: pred_sem_seg.data must hold class indices (an integer tensor), got ${pred.dtype}`);
        if (!this.formatOnly) {
          if (!sample.gt_sem_seg) throw new Error(`${where}: no gt_sem_seg (set format_only for a split without labels)`);
          const label = labelTensor(sample.gt_sem_seg.data, `${where}: gt_sem_seg.data`).squeeze();
          if (label.shape.join() !== pred.shape.join()) {
            throw new RangeError(`${where}: prediction is ${pred.shape.join('x')} but the label is ${label.shape.join('x')}; predictions must be at the label's size`);
          }
          this.results.push(intersectAndUnion(pred, label, numClasses, this.ignoreIndex));
        }
        if (this.outputDir !== null) this.#writePrediction(pred, sample, where);
      });
    });
  }

  /** `<output_dir>/<image name>.png`; with reduce_zero_label, labels are shifted back up by one (uint8 wrap as NumPy). */
  #writePrediction(pred: Tensor, sample: SegSampleLike, where: string): void {
    const imgPath = sample.metainfo?.img_path;
    if (!imgPath) throw new Error(`${where}: metainfo.img_path is needed to name the prediction file`);
    if (pred.ndim !== 2) throw new RangeError(`${where}: expected a [1, H, W] prediction, got shape [${pred.shape.join(', ')}]`);
    const file = resolve(join(this.outputDir!, `${basename(imgPath, extname(imgPath))}.png`));
    const shifted = sample.metainfo?.reduce_zero_label ? pred.add(1) : pred;
    const pixels = shifted.to('uint8').cpu().data() as Uint8Array;
    writeGrayPng(file, pixels, pred.shape[0]!, pred.shape[1]!);
  }

  /** Summary metrics in percent, rounded to 2 decimals as MMSeg; logs the per-class table. */
  override computeMetrics(results: unknown[]): MetricValues {
    const logger = MMLogger.getCurrentInstance();
    if (this.formatOnly) {
      // MMSeg logs the parent folder of output_dir here.
      logger.info(`results are saved to ${dirname(this.outputDir ?? '.')}`);
      return {};
    }
    const classes = (this.datasetMeta?.classes ?? []) as string[];
    const total = sumAreas(results as IouAreas[], this.#numClasses());
    const perClass = totalAreaToMetrics(total, this.metrics, this.nanToNum, this.beta);
    const metrics: MetricValues = {};
    for (const [key, values] of perClass) metrics[key === 'aAcc' ? key : `m${key}`] = summaryPercent(values);
    const table = new Map<string, (string | number)[]>([['Class', classes.map(String)]]);
    for (const [key, values] of perClass) if (key !== 'aAcc') table.set(key, Array.from(values, classPercentF32));
    printLog('per class results:', logger);
    printLog('\n' + formatTable(table), logger);
    return metrics;
  }

  /** The per-class values (fractions, float32; NaN where undefined) of the collected results, without clearing them. */
  perClassMetrics(): Map<string, Float32Array> {
    return totalAreaToMetrics(sumAreas(this.results, this.#numClasses()), this.metrics, this.nanToNum, this.beta);
  }
}

METRICS.register(IoUMetric);
