// EncoderDecoder: MMSeg's backbone (+ neck) + decode head (+ auxiliary heads) segmentor, with whole and sliding-window inference.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { printLog } from '../../../engine/logging/logger.js';
import { initCfgSchema, type InitCfgInput } from '../init/initialize.js';
import type { BaseDecodeHead } from '../decode_heads/decode-head.js';
import type { SegDataSample, SegMetaInfo } from '../../structures/seg-data-sample.js';
import { addPrefix, BaseSegmentor } from './base-segmentor.js';

const componentCfg = z.object({ type: z.unknown() }).passthrough();
const pairOrInt = z.union([z.number().int().positive(), z.array(z.number().int().positive()).length(2)]);

export const segTestCfgSchema = z.object({
  mode: z.enum(['whole', 'slide']).default('whole'),
  /** Slide window [h, w] (one number for both). */
  crop_size: pairOrInt.optional(),
  /** Slide step [h, w]. */
  stride: pairOrInt.optional(),
  /**
   * segkit: windows per forward in slide mode. MMSeg runs one window at a time (1, the default);
   * more run several in one batch, much faster for small crops (eval-mode results equal up to
   * float rounding, ~1e-6).
   */
  crop_batch_size: z.number().int().positive().default(1),
}).strict();

export const encoderDecoderSchema = z.object({
  backbone: componentCfg,
  decode_head: componentCfg,
  neck: componentCfg.nullable().default(null),
  /** One head or a list (log keys 'aux.' or 'aux_0.', 'aux_1.', ...). */
  auxiliary_head: z.union([componentCfg, z.array(componentCfg)]).nullable().default(null),
  train_cfg: z.record(z.string(), z.unknown()).nullable().default(null),
  test_cfg: segTestCfgSchema.nullable().default(null),
  // A built module first: a class instance must not be copied into a plain object.
  data_preprocessor: z.union([z.instanceof(nn.Module), componentCfg]).nullable().default(null),
  /** A checkpoint for the backbone (becomes its init_cfg Pretrained). */
  pretrained: z.string().nullable().default(null),
  init_cfg: initCfgSchema,
}).strict();

export type EncoderDecoderOptions = z.input<typeof encoderDecoderSchema>;
export type SegTestCfg = z.output<typeof segTestCfgSchema>;

const pair = (v: number | number[]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0]!, v[1]!]);

export class EncoderDecoder extends BaseSegmentor {
  readonly backbone: nn.Module;
  readonly neck: nn.Module | null;
  readonly decode_head: BaseDecodeHead;
  /** One head, a plain ModuleList of heads (as MMSeg: nn.ModuleList), or null. */
  readonly auxiliary_head: BaseDecodeHead | nn.ModuleList<BaseDecodeHead> | null;
  readonly trainCfg: Record<string, unknown> | null;
  readonly testCfg: SegTestCfg;
  readonly alignCorners: boolean;
  readonly numClasses: number;
  readonly outChannels: number;
  readonly threshold: number | null;

  constructor(options: EncoderDecoderOptions) {
    const o = parseOptions(encoderDecoderSchema, options);
    super(o.data_preprocessor as Record<string, unknown> | null, o.init_cfg as InitCfgInput);
    let backboneCfg: Record<string, unknown> = o.backbone;
    if (o.pretrained !== null) {
      if (backboneCfg.pretrained !== undefined && backboneCfg.pretrained !== null) throw new ConfigError(['pretrained'], 'both backbone and segmentor set pretrained weight');
      if (backboneCfg.init_cfg !== undefined && backboneCfg.init_cfg !== null) throw new ConfigError(['backbone', 'init_cfg'], 'init_cfg and pretrained cannot be set at the same time');
      backboneCfg = { ...backboneCfg, init_cfg: { type: 'Pretrained', checkpoint: o.pretrained } };
    }
    this.backbone = this.registerModule('backbone', MODELS.build<nn.Module>(backboneCfg, { keyPath: ['backbone'] }));
    this.neck = o.neck ? this.registerModule('neck', MODELS.build<nn.Module>(o.neck, { keyPath: ['neck'] })) : null;
    this.decode_head = this.registerModule('decode_head', MODELS.build<BaseDecodeHead>(o.decode_head, { keyPath: ['decode_head'] }));
    this.alignCorners = this.decode_head.alignCorners;
    this.numClasses = this.decode_head.numClasses;
    this.outChannels = this.decode_head.outChannels;
    this.threshold = this.decode_head.threshold;
    const aux = o.auxiliary_head;
    this.auxiliary_head = aux === null ? null : Array.isArray(aux)
      ? this.registerModule('auxiliary_head', new nn.ModuleList<BaseDecodeHead>(aux.map((c, i) => MODELS.build<BaseDecodeHead>(c, { keyPath: ['auxiliary_head', i] }))))
      : this.registerModule('auxiliary_head', MODELS.build<BaseDecodeHead>(aux, { keyPath: ['auxiliary_head'] }));
    this.trainCfg = o.train_cfg;
    this.testCfg = o.test_cfg ?? { mode: 'whole', crop_batch_size: 1 };
    if (this.testCfg.mode === 'slide' && (this.testCfg.crop_size === undefined || this.testCfg.stride === undefined)) {
      throw new ConfigError(['test_cfg', this.testCfg.crop_size === undefined ? 'crop_size' : 'stride'], "is required with mode 'slide'");
    }
  }

  get withNeck(): boolean {
    return this.neck !== null;
  }

  get withAuxiliaryHead(): boolean {
    return this.auxiliary_head !== null;
  }

  /** Backbone outputs, through the neck when there is one. */
  extractFeat(inputs: Tensor): Tensor[] {
    const x = this.backbone.forward(inputs) as Tensor[];
    return this.neck ? (this.neck.forward(x) as Tensor[]) : x;
  }

  /** Logits at the (padded) input size: features -> decode_head.predict. */
  encodeDecode(inputs: Tensor, batchImgMetas: SegMetaInfo[]): Tensor {
    return torch.tidy(() => this.decode_head.predict(this.extractFeat(inputs), batchImgMetas, this.testCfg));
  }

  /** Decode losses prefixed 'decode.', auxiliary ones 'aux.' (or 'aux_i.' for a list). */
  loss(inputs: Tensor, dataSamples: SegDataSample[]): Record<string, Tensor> {
    const x = this.extractFeat(inputs);
    const losses = addPrefix(this.decode_head.loss(x, dataSamples, this.trainCfg), 'decode');
    if (this.auxiliary_head instanceof nn.ModuleList) {
      this.auxiliary_head.toArray().forEach((head, i) => Object.assign(losses, addPrefix(head.loss(x, dataSamples, this.trainCfg), `aux_${i}`)));
    } else if (this.auxiliary_head) {
      Object.assign(losses, addPrefix(this.auxiliary_head.loss(x, dataSamples, this.trainCfg), 'aux'));
    }
    return losses;
  }

  /** Inference then postprocessResult; without samples every image is taken as unpadded and unflipped. */
  predict(inputs: Tensor, dataSamples: SegDataSample[] | null = null): SegDataSample[] {
    const [, , h, w] = inputs.shape as [number, number, number, number];
    const metas: SegMetaInfo[] = dataSamples
      ? dataSamples.map((s) => s.metainfo)
      : Array.from({ length: inputs.size(0) }, () => ({ ori_shape: [h, w], img_shape: [h, w], pad_shape: [h, w], padding_size: [0, 0, 0, 0] }));
    const segLogits = this.inference(inputs, metas);
    return this.postprocessResult(segLogits, dataSamples);
  }

  forwardTensor(inputs: Tensor): Tensor {
    return this.decode_head.forward(this.extractFeat(inputs));
  }

  /** Whole or sliding-window logits for the batch (test_cfg.mode). */
  inference(inputs: Tensor, batchImgMetas: SegMetaInfo[]): Tensor {
    const ori = JSON.stringify(batchImgMetas[0]?.ori_shape);
    if (!batchImgMetas.every((m) => JSON.stringify(m.ori_shape) === ori)) printLog('Image shapes are different in the batch.', 'current', 'WARNING');
    return this.testCfg.mode === 'slide' ? this.slideInference(inputs, batchImgMetas) : this.wholeInference(inputs, batchImgMetas);
  }

  wholeInference(inputs: Tensor, batchImgMetas: SegMetaInfo[]): Tensor {
    return this.encodeDecode(inputs, batchImgMetas);
  }

  /**
   * Overlapping crop_size windows every stride (the last window flush with the border; a crop
   * larger than the image shrinks to it); logits are summed into place and divided by the
   * number of windows covering each pixel. crop_batch_size windows go through one forward.
   */
  slideInference(inputs: Tensor, batchImgMetas: SegMetaInfo[]): Tensor {
    const [hStride, wStride] = pair(this.testCfg.stride!);
    const [hCrop, wCrop] = pair(this.testCfg.crop_size!);
    const [batch, , hImg, wImg] = inputs.shape as [number, number, number, number];
    const hGrids = Math.floor(Math.max(hImg - hCrop + hStride - 1, 0) / hStride) + 1;
    const wGrids = Math.floor(Math.max(wImg - wCrop + wStride - 1, 0) / wStride) + 1;
    const windows: [number, number, number, number][] = [];
    for (let hIdx = 0; hIdx < hGrids; hIdx++) {
      for (let wIdx = 0; wIdx < wGrids; wIdx++) {
        const y2 = Math.min(hIdx * hStride + hCrop, hImg);
        const x2 = Math.min(wIdx * wStride + wCrop, wImg);
        windows.push([Math.max(y2 - hCrop, 0), y2, Math.max(x2 - wCrop, 0), x2]);
      }
    }
    const preds = torch.zeros([batch, this.outChannels, hImg, wImg], { dtype: inputs.dtype, device: inputs.device });
    const count = torch.zeros([batch, 1, hImg, wImg], { dtype: inputs.dtype, device: inputs.device });
    // Every window has the same size (crop_size clipped to the image), so a group stacks along the batch.
    const [y1First, y2First, x1First, x2First] = windows[0]!;
    const cropMetas = batchImgMetas.map((m) => ({ ...m, img_shape: [y2First - y1First, x2First - x1First], pad_shape: [y2First - y1First, x2First - x1First] }));
    const perForward = this.testCfg.crop_batch_size ?? 1;
    for (let start = 0; start < windows.length; start += perForward) {
      const group = windows.slice(start, start + perForward);
      torch.tidy(() => {
        const crops = group.map(([y1, y2, x1, x2]) => inputs.slice(2, y1, y2).slice(3, x1, x2));
        // The decode head resizes to pad_shape: here the crop's size (MMSeg sets img_shape to the crop).
        const logits = this.encodeDecode(group.length === 1 ? crops[0]! : torch.cat(crops, 0), group.flatMap(() => cropMetas));
        torch.noGrad(() => group.forEach(([y1, y2, x1, x2], k) => {
          // In-place sums into the window equal MMSeg's preds += F.pad(crop_logits): the padding adds zeros.
          preds.slice(2, y1, y2).slice(3, x1, x2).add_(group.length === 1 ? logits : logits.slice(0, k * batch, (k + 1) * batch));
          count.slice(2, y1, y2).slice(3, x1, x2).add_(1);
        }));
      });
    }
    if (count.eq(0).any().item()) throw new Error(`${this.className}: slide inference left pixels uncovered (crop_size ${hCrop}x${wCrop}, stride ${hStride}x${wStride})`);
    const out = preds.div(count);
    preds.dispose();
    count.dispose();
    return out;
  }
}
MODELS.register(EncoderDecoder);
