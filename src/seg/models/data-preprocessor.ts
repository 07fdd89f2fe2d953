// SegDataPreProcessor: MMSeg's batch preparation — NdArrays to tensors, BGR<->RGB, (x - mean) / std,
// then padding (right/bottom) to `size` or a multiple of `size_divisor` with pad_val / seg_pad_val 255.
import { z } from 'zod';
import * as torch from '../../torch/index.js';
import { Tensor } from '../../torch/index.js';
import * as F from '../../torch/functional/index.js';
import { ConfigError, parseOptions } from '../../engine/config/errors.js';
import { MODELS } from '../../engine/registry/index.js';
import { BaseDataPreprocessor, castData } from '../../engine/model/data-preprocessor.js';
import type { DataBatch, PreprocessedBatch } from '../../engine/model/base-model.js';
import type { SegDataSample } from '../structures/seg-data-sample.js';

const hw = z.union([z.number().int().positive(), z.array(z.number().int().positive()).length(2)]);

export const segDataPreProcessorSchema = z.object({
  mean: z.array(z.number()).nullable().default(null),
  std: z.array(z.number()).nullable().default(null),
  /** Pad training batches to this [h, w] (MMSeg configs set it to the crop size). */
  size: hw.nullable().default(null),
  /** Or pad training batches to the batch's largest size rounded up to a multiple of this. */
  size_divisor: z.number().int().positive().nullable().default(null),
  pad_val: z.number().default(0),
  seg_pad_val: z.number().default(255),
  bgr_to_rgb: z.boolean().default(false),
  rgb_to_bgr: z.boolean().default(false),
  batch_augments: z.null().default(null),
  /** Padding for test batches: `{ size }` or `{ size_divisor }`; null stacks them as they are. */
  test_cfg: z.object({ size: hw.nullable().optional(), size_divisor: z.number().int().positive().nullable().optional() }).strict().nullable().default(null),
}).strict();

export type SegDataPreProcessorOptions = z.input<typeof segDataPreProcessorSchema>;

type Padding = [number, number, number, number];
const asHw = (v: number | number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);

export class SegDataPreProcessor extends BaseDataPreprocessor {
  readonly size: [number, number] | null;
  readonly sizeDivisor: number | null;
  readonly padVal: number;
  readonly segPadVal: number;
  readonly channelConversion: boolean;
  readonly enableNormalize: boolean;
  readonly testCfg: { size?: number | number[] | null; size_divisor?: number | null } | null;
  mean: Tensor | null;
  std: Tensor | null;

  constructor(options: SegDataPreProcessorOptions = {}) {
    super();
    const o = parseOptions(segDataPreProcessorSchema, options);
    if (o.bgr_to_rgb && o.rgb_to_bgr) throw new ConfigError(['rgb_to_bgr'], '`bgr_to_rgb` and `rgb_to_bgr` cannot both be true');
    if ((o.mean === null) !== (o.std === null)) throw new ConfigError([o.mean === null ? 'mean' : 'std'], 'mean and std should be both null or both lists');
    if (o.mean && o.std && o.mean.length !== o.std.length) throw new ConfigError(['std'], `has ${o.std.length} values but mean has ${o.mean.length}`);
    this.size = o.size === null ? null : asHw(o.size);
    this.sizeDivisor = o.size_divisor;
    this.padVal = o.pad_val;
    this.segPadVal = o.seg_pad_val;
    this.channelConversion = o.bgr_to_rgb || o.rgb_to_bgr;
    this.enableNormalize = o.mean !== null;
    this.testCfg = o.test_cfg;
    // Non-persistent buffers: they follow model.to(device) but stay out of checkpoints, as MMSeg's.
    this.mean = this.registerBuffer('mean', o.mean ? torch.tensor(o.mean).view(-1, 1, 1) : null, false);
    this.std = this.registerBuffer('std', o.std ? torch.tensor(o.std).view(-1, 1, 1) : null, false);
  }

  /** The device tensors go to: the mean buffer's (it follows model.to), else `device`. */
  get targetDevice(): string {
    return this.mean?.device ?? this.device;
  }

  /**
   * `{ inputs: NdArray[] (CHW uint8), data_samples }` -> `{ inputs: float [N, C, H, W], data_samples }`
   * with gt_sem_seg as int64 tensors padded with seg_pad_val; training always pads (size or
   * size_divisor is required then), testing pads only with test_cfg.
   */
  override forward(data: DataBatch, training = false): PreprocessedBatch {
    const device = this.targetDevice;
    return torch.tidy(() => {
      let inputs = castData(data.inputs, device) as unknown;
      if (inputs instanceof Tensor) inputs = inputs.unbind(0);
      if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((x) => x instanceof Tensor && x.ndim === 3)) {
        throw new TypeError(`${this.className}: 'inputs' must be a non-empty list of [C, H, W] images (keys: ${Object.keys(data).join(', ')})`);
      }
      const samples = this.#castSamples(data.data_samples, device);
      let imgs = inputs as Tensor[];
      if (this.channelConversion && imgs[0]!.size(0) === 3) imgs = imgs.map((x) => x.flip(0));
      imgs = imgs.map((x) => x.float());
      if (this.enableNormalize) imgs = imgs.map((x) => x.sub(this.mean!).div(this.std!));

      let batch: Tensor;
      if (training) {
        if (!samples) throw new TypeError(`${this.className}: training batches need data_samples`);
        const stacked = this.#stackBatch(imgs, this.size, this.sizeDivisor, ['size']);
        samples.forEach((sample, i) => {
          const { padding, imgShape, padShape } = stacked.pads[i]!;
          let padShapeOut = padShape;
          if (sample.gt_sem_seg) {
            const gt = F.pad(sample.gt_sem_seg.data as Tensor, padding, 'constant', this.segPadVal);
            sample.gt_sem_seg = { data: gt };
            padShapeOut = gt.shape.slice(-2);
          }
          sample.metainfo = { ...sample.metainfo, img_shape: imgShape, pad_shape: padShapeOut, padding_size: padding };
        });
        batch = stacked.batch;
      } else {
        const [h, w] = imgs[0]!.shape.slice(1);
        const odd = imgs.findIndex((x) => x.size(1) !== h || x.size(2) !== w);
        if (odd >= 0) throw new RangeError(`${this.className}: the image size in a test batch should be the same: image 0 is ${h}x${w}, image ${odd} is ${imgs[odd]!.size(1)}x${imgs[odd]!.size(2)}`);
        if (this.testCfg) {
          const size = this.testCfg.size === undefined || this.testCfg.size === null ? null : asHw(this.testCfg.size);
          const stacked = this.#stackBatch(imgs, size, this.testCfg.size_divisor ?? null, ['test_cfg']);
          // As MMSeg: test labels are not padded; the padding is recorded for postprocessing.
          (samples ?? []).forEach((sample, i) => {
            const { padding, padShape } = stacked.pads[i]!;
            sample.metainfo = { ...sample.metainfo, img_padding_size: padding, pad_shape: padShape };
          });
          batch = stacked.batch;
        } else {
          batch = torch.stack(imgs, 0);
        }
      }
      const batchInputShape = batch.shape.slice(2);
      for (const s of samples ?? []) s.metainfo.batch_input_shape = batchInputShape;
      return { inputs: batch, data_samples: samples ?? undefined };
    }, 'SegDataPreProcessor');
  }

  /** Copies each sample (metainfo too) with its gt_sem_seg as an int64 tensor [1, H, W] on `device`. */
  #castSamples(value: unknown, device: string): SegDataSample[] | null {
    if (value === undefined || value === null) return null;
    if (!Array.isArray(value)) throw new TypeError(`${this.className}: 'data_samples' must be a list of SegDataSample objects`);
    return value.map((s: SegDataSample, i) => {
      if (s === null || typeof s !== 'object' || typeof s.metainfo !== 'object') throw new TypeError(`${this.className}: data_samples[${i}] has no metainfo`);
      const out: SegDataSample = { ...s, metainfo: { ...s.metainfo } };
      if (s.gt_sem_seg) {
        const t = castData(s.gt_sem_seg.data, device) as Tensor;
        if (!(t instanceof Tensor)) throw new TypeError(`${this.className}: data_samples[${i}].gt_sem_seg.data is not an array`);
        const gt = t.ndim === 2 ? t.unsqueeze(0) : t;
        out.gt_sem_seg = { data: gt.dtype === 'int64' ? gt : gt.long() };
      }
      return out;
    });
  }

  /**
   * MMSeg's stack_batch: pads each image right/bottom to `size` or to the batch maximum rounded
   * up to `sizeDivisor` with pad_val, and reports each image's padding [left, right, top, bottom].
   */
  #stackBatch(imgs: Tensor[], size: [number, number] | null, sizeDivisor: number | null, key: string[]): { batch: Tensor; pads: { padding: Padding; imgShape: number[]; padShape: number[] }[] } {
    if ((size === null) === (sizeDivisor === null)) {
      throw new ConfigError(key, `only one of size and size_divisor should be set to pad the batch (got ${size === null ? 'neither' : 'both'})`);
    }
    let maxH = Math.max(...imgs.map((x) => x.size(1)));
    let maxW = Math.max(...imgs.map((x) => x.size(2)));
    if (sizeDivisor !== null && sizeDivisor > 1) {
      maxH = Math.ceil(maxH / sizeDivisor) * sizeDivisor;
      maxW = Math.ceil(maxW / sizeDivisor) * sizeDivisor;
    }
    const [targetH, targetW] = size ?? [maxH, maxW];
    const big = imgs.findIndex((x) => x.size(1) > targetH || x.size(2) > targetW);
    if (big >= 0) {
      throw new RangeError(`${this.className}: image ${big} is ${imgs[big]!.size(1)}x${imgs[big]!.size(2)}, larger than the padding size ${targetH}x${targetW} (${key.join('.')}); crop it in the pipeline`);
    }
    const pads = imgs.map((img) => {
      const [h, w] = [img.size(1), img.size(2)];
      const padding: Padding = [0, Math.max(targetW - w, 0), 0, Math.max(targetH - h, 0)];
      return { padding, imgShape: [h, w], padShape: [h + padding[3], w + padding[1]] };
    });
    const batch = torch.stack(imgs.map((img, i) => F.pad(img, pads[i]!.padding, 'constant', this.padVal)), 0);
    return { batch, pads };
  }
}
MODELS.register(SegDataPreProcessor);
