// BaseDecodeHead: MMSeg's shared decode-head machinery — input selection, conv_seg classifier,
// losses (loss_decode, sampler, acc_seg) and prediction resized to the input size.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { BaseModule } from '../init/base-module.js';
import { initCfgSchema, type InitCfgInput } from '../init/initialize.js';
import { resize } from '../utils/resize.js';
import type { LayerCfg } from '../utils/conv-module.js';
import { accuracy } from '../losses/accuracy.js';
import type { DecodeLoss } from '../losses/utils.js';
import type { BasePixelSampler, PixelSamplerContext } from '../samplers/base-pixel-sampler.js';
import type { SegDataSample, SegMetaInfo } from '../../structures/seg-data-sample.js';

const layerCfg = z.object({ type: z.string() }).passthrough();

export const baseDecodeHeadSchema = z.object({
  /** One channel count, or one per selected input with input_transform. */
  in_channels: z.union([z.number().int().positive(), z.array(z.number().int().positive())]),
  channels: z.number().int().positive(),
  num_classes: z.number().int().positive(),
  /** Channels of conv_seg: num_classes, or 1 for binary segmentation with `threshold`. */
  out_channels: z.number().int().positive().nullable().default(null),
  threshold: z.number().nullable().default(null),
  /** Dropout2d before conv_seg; any value <= 0 means none (MMSeg's HRNet configs write -1). */
  dropout_ratio: z.number().max(1).default(0.1),
  conv_cfg: layerCfg.nullable().default(null),
  norm_cfg: layerCfg.nullable().default(null),
  act_cfg: layerCfg.nullable().default({ type: 'ReLU' }),
  in_index: z.union([z.number().int(), z.array(z.number().int())]).default(-1),
  input_transform: z.enum(['resize_concat', 'multiple_select']).nullable().default(null),
  loss_decode: z.union([layerCfg, z.array(layerCfg).min(1)]).default({ type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 }),
  ignore_index: z.number().int().default(255),
  sampler: layerCfg.nullable().default(null),
  align_corners: z.boolean().default(false),
  init_cfg: initCfgSchema.default({ type: 'Normal', std: 0.01, override: { name: 'conv_seg' } }),
}).strict();

export type BaseDecodeHeadOptions = z.input<typeof baseDecodeHeadSchema>;
/** The `test_cfg` / `train_cfg` a segmentor passes down (unused by the base head). */
export type HeadCfg = Record<string, unknown> | null | undefined;

/**
 * Base of every decode head: subclasses build their layers after super() and implement
 * forward(inputs) -> logits [N, out_channels, h, w]. Children: loss_decode, conv_seg, dropout.
 */
export abstract class BaseDecodeHead extends BaseModule implements PixelSamplerContext {
  readonly inChannels: number | number[];
  readonly channels: number;
  readonly numClasses: number;
  readonly outChannels: number;
  readonly threshold: number | null;
  readonly dropoutRatio: number;
  readonly convCfg: LayerCfg | null;
  readonly normCfg: LayerCfg | null;
  readonly actCfg: LayerCfg | null;
  readonly inIndex: number | number[];
  readonly inputTransform: 'resize_concat' | 'multiple_select' | null;
  readonly ignoreIndex: number;
  readonly alignCorners: boolean;
  /** The `loss_decode` child: one loss, or a ModuleList of them. */
  readonly lossDecode: DecodeLoss | nn.ModuleList<DecodeLoss>;
  readonly sampler: BasePixelSampler | null;
  readonly conv_seg: nn.Conv2d;
  readonly dropout: nn.Dropout2d | null;

  constructor(options: BaseDecodeHeadOptions) {
    const o = parseOptions(baseDecodeHeadSchema, options);
    super(o.init_cfg as InitCfgInput);
    this.inputTransform = o.input_transform;
    this.inIndex = o.in_index;
    if (o.input_transform !== null) {
      if (!Array.isArray(o.in_channels) || !Array.isArray(o.in_index)) {
        throw new ConfigError(['in_channels'], `with input_transform '${o.input_transform}', in_channels and in_index must be lists`);
      }
      if (o.in_channels.length !== o.in_index.length) {
        throw new ConfigError(['in_index'], `has ${o.in_index.length} entries but in_channels has ${o.in_channels.length}`);
      }
      this.inChannels = o.input_transform === 'resize_concat' ? o.in_channels.reduce((a, b) => a + b, 0) : o.in_channels;
    } else {
      if (Array.isArray(o.in_channels) || Array.isArray(o.in_index)) {
        throw new ConfigError(['in_channels'], 'without input_transform, in_channels and in_index must be single integers');
      }
      this.inChannels = o.in_channels;
    }
    this.channels = o.channels;
    this.dropoutRatio = o.dropout_ratio;
    this.convCfg = o.conv_cfg;
    this.normCfg = o.norm_cfg;
    this.actCfg = o.act_cfg;
    this.ignoreIndex = o.ignore_index;
    this.alignCorners = o.align_corners;

    let outChannels = o.out_channels;
    if (outChannels === null) {
      if (o.num_classes === 2) {
        process.emitWarning('For binary segmentation, we suggest using `out_channels = 1` to define the output channels of segmentor, and use `threshold` to convert `seg_logits` into a prediction applying a threshold', 'UserWarning');
      }
      outChannels = o.num_classes;
    }
    if (outChannels !== o.num_classes && outChannels !== 1) {
      throw new ConfigError(['out_channels'], `should be equal to num_classes, except binary segmentation set out_channels == 1 and num_classes == 2, but got out_channels=${outChannels} and num_classes=${o.num_classes}`);
    }
    let threshold = o.threshold;
    if (outChannels === 1 && threshold === null) {
      threshold = 0.3;
      process.emitWarning('threshold is not defined for binary, and defaults to 0.3', 'UserWarning');
    }
    this.numClasses = o.num_classes;
    this.outChannels = outChannels;
    this.threshold = threshold;

    this.lossDecode = Array.isArray(o.loss_decode)
      ? this.registerModule('loss_decode', new nn.ModuleList<DecodeLoss>(o.loss_decode.map((c, i) => MODELS.build<DecodeLoss>(c, { keyPath: ['loss_decode', i] }))))
      : this.registerModule('loss_decode', MODELS.build<DecodeLoss>(o.loss_decode, { keyPath: ['loss_decode'] }));
    for (const loss of this.losses) {
      if (typeof loss.lossName !== 'string' || typeof loss.forward !== 'function') throw new ConfigError(['loss_decode'], `${loss.className} is not a decode loss (it has no lossName)`);
    }
    this.sampler = o.sampler ? MODELS.build<BasePixelSampler>(o.sampler, { keyPath: ['sampler'], extraArgs: [this] }) : null;
    this.conv_seg = this.registerModule('conv_seg', new nn.Conv2d(o.channels, outChannels, 1));
    this.dropout = o.dropout_ratio > 0 ? this.registerModule('dropout', new nn.Dropout2d(o.dropout_ratio)) : null;
  }

  /** The decode losses as a list. */
  get losses(): DecodeLoss[] {
    return this.lossDecode instanceof nn.ModuleList ? this.lossDecode.toArray() : [this.lossDecode];
  }

  /** Logits at feature resolution from the backbone/neck outputs. */
  abstract override forward(inputs: Tensor[]): Tensor;

  /**
   * MMSeg's _transform_inputs: 'resize_concat' resizes the selected maps to the first one's size
   * and concatenates them; 'multiple_select' returns the selected list; otherwise inputs[in_index].
   */
  transformInputs(inputs: Tensor[]): Tensor | Tensor[] {
    const pick = (i: number): Tensor => {
      const t = inputs[i < 0 ? inputs.length + i : i];
      if (!t) throw new RangeError(`${this.className}: in_index ${i} is out of range for ${inputs.length} inputs`);
      return t;
    };
    if (this.inputTransform === 'resize_concat') {
      const selected = (this.inIndex as number[]).map(pick);
      const size = selected[0]!.shape.slice(2);
      return torch.tidy(() => torch.cat(selected.map((x) => resize(x, { size, mode: 'bilinear', alignCorners: this.alignCorners })), 1));
    }
    if (this.inputTransform === 'multiple_select') return (this.inIndex as number[]).map(pick);
    return pick(this.inIndex as number);
  }

  /** Dropout (when dropout_ratio > 0) then the 1x1 classifier conv_seg. */
  clsSeg(feat: Tensor): Tensor {
    const dropped = this.dropout ? this.dropout.forward(feat) : feat;
    return this.conv_seg.forward(dropped);
  }

  /** Forward + losses for a training batch (each sample needs gt_sem_seg as an int64 tensor [1, H, W]). */
  loss(inputs: Tensor[], batchDataSamples: SegDataSample[], _trainCfg?: HeadCfg): Record<string, Tensor> {
    const segLogits = this.forward(inputs);
    return this.lossByFeat(segLogits, batchDataSamples);
  }

  /** Forward then predictByFeat. */
  predict(inputs: Tensor[], batchImgMetas: SegMetaInfo[], _testCfg?: HeadCfg): Tensor {
    const segLogits = this.forward(inputs);
    return this.predictByFeat(segLogits, batchImgMetas);
  }

  /** The ground truths stacked to [N, 1, H, W] (MMSeg's _stack_batch_gt). */
  stackBatchGt(batchDataSamples: SegDataSample[]): Tensor {
    const maps = batchDataSamples.map((s, i) => {
      const d = s.gt_sem_seg?.data;
      if (!(d instanceof torch.Tensor)) {
        throw new TypeError(`${this.className}.loss: data_samples[${i}].gt_sem_seg.data must be a tensor (run SegDataPreProcessor first), got ${d === undefined ? 'nothing' : 'plain data'}`);
      }
      return d;
    });
    return torch.stack(maps, 0);
  }

  /**
   * Resizes logits to the label size, optionally weights pixels by the sampler, and sums the
   * losses by their loss_name; adds 'acc_seg'.
   */
  lossByFeat(segLogits: Tensor, batchDataSamples: SegDataSample[]): Record<string, Tensor> {
    const segLabel4 = this.stackBatchGt(batchDataSamples);
    const logits = resize(segLogits, { size: segLabel4.shape.slice(2), mode: 'bilinear', alignCorners: this.alignCorners });
    const segWeight = this.sampler ? this.sampler.sample(logits, segLabel4) : null;
    const segLabel = segLabel4.squeeze(1);
    const loss: Record<string, Tensor> = {};
    for (const lossDecode of this.losses) {
      const value = lossDecode.forward(logits, segLabel, { weight: segWeight, ignoreIndex: this.ignoreIndex });
      const name = lossDecode.lossName;
      loss[name] = loss[name] ? loss[name].add(value) : value;
    }
    loss.acc_seg = accuracy(logits, segLabel, 1, { ignoreIndex: this.ignoreIndex });
    return loss;
  }

  /**
   * Logits resized (bilinear) to the padded input size: pad_shape when the metas have it (the
   * slide inference sets it to the crop), else img_shape, as MMSeg 1.2.
   */
  predictByFeat(segLogits: Tensor, batchImgMetas: SegMetaInfo[]): Tensor {
    const meta = batchImgMetas[0];
    if (!meta) throw new RangeError(`${this.className}.predict: batchImgMetas is empty`);
    const size = (meta.pad_shape ?? meta.img_shape).slice(0, 2);
    return resize(segLogits, { size, mode: 'bilinear', alignCorners: this.alignCorners });
  }
}
