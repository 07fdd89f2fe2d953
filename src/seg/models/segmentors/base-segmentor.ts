// BaseSegmentor: MMSeg's segmentor base — forward by mode ('loss' | 'predict' | 'tensor'), the data
// preprocessor child, init_cfg, and postprocess_result (un-pad, un-flip, resize to ori_shape, argmax).
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import type * as nn from '../../../torch/nn/index.js';
import { MODELS } from '../../../engine/registry/index.js';
import { BaseModel, type BaseDataPreprocessor, type ForwardMode } from '../../../engine/model/base-model.js';
import { initWeightsWith } from '../init/base-module.js';
import type { InitCfgInput } from '../init/initialize.js';
import { resize } from '../utils/resize.js';
import type { SegDataSample, SegMetaInfo } from '../../structures/seg-data-sample.js';

export abstract class BaseSegmentor extends BaseModel {
  readonly dataPreprocessor: BaseDataPreprocessor;
  initCfg: InitCfgInput;

  /** Builds the `data_preprocessor` child first, as MMEngine's BaseModel (BaseDataPreprocessor when null). */
  constructor(dataPreprocessor: Record<string, unknown> | BaseDataPreprocessor | null | undefined, initCfg: InitCfgInput) {
    super();
    this.initCfg = initCfg;
    const pre = dataPreprocessor === null || dataPreprocessor === undefined
      ? MODELS.build<BaseDataPreprocessor>({ type: 'BaseDataPreprocessor' }, { keyPath: ['data_preprocessor'] })
      : dataPreprocessor instanceof torch.nn.Module
        ? dataPreprocessor
        : MODELS.build<BaseDataPreprocessor>(dataPreprocessor, { keyPath: ['data_preprocessor'] });
    this.dataPreprocessor = this.registerModule('data_preprocessor', pre);
  }

  /** align_corners of the resize back to the original image (the decode head's). */
  abstract readonly alignCorners: boolean;
  /** Binary segmentation threshold (out_channels 1), from the decode head. */
  abstract readonly threshold: number | null;

  abstract extractFeat(inputs: Tensor): Tensor[];
  abstract loss(inputs: Tensor, dataSamples: SegDataSample[]): Record<string, Tensor>;
  abstract predict(inputs: Tensor, dataSamples?: SegDataSample[] | null): SegDataSample[];
  /** The raw head output ('tensor' mode). */
  abstract forwardTensor(inputs: Tensor, dataSamples?: SegDataSample[] | null): Tensor;

  override forward(inputs: Tensor, dataSamples: unknown[] | undefined | null, mode: ForwardMode = 'tensor'): unknown {
    const samples = (dataSamples ?? null) as SegDataSample[] | null;
    if (mode === 'loss') {
      if (!samples) throw new TypeError(`${this.className}.forward: mode 'loss' needs data_samples with gt_sem_seg`);
      return this.loss(inputs, samples);
    }
    if (mode === 'predict') return this.predict(inputs, samples);
    if (mode === 'tensor') return this.forwardTensor(inputs, samples);
    throw new RangeError(`${this.className}.forward: invalid mode '${String(mode)}'. Only supports loss, predict and tensor mode`);
  }

  /** MMEngine's init_weights with this segmentor's init_cfg (children with initWeights first). */
  override initWeights(): void {
    initWeightsWith(this, this.initCfg);
  }

  /** Moves the model; the data preprocessor then sends batches to the same device. */
  override to(target: string | { device?: string; dtype?: torch.DType }): this {
    super.to(target);
    const device = typeof target === 'string' ? (/^(cpu|cuda|meta)/.test(target) ? target : undefined) : target.device;
    const pre = this.dataPreprocessor as nn.Module & { device?: string };
    if (device !== undefined && 'device' in pre) pre.device = device;
    return this;
  }

  /**
   * MMSeg's postprocess_result: per image, remove the padding the preprocessor added, undo a
   * flip, resize (bilinear) to ori_shape, then argmax — or sigmoid + threshold for one channel.
   * Without samples the logits are used as they are. Returns new sample objects with
   * seg_logits [C, H, W] and pred_sem_seg int64 [1, H, W].
   */
  postprocessResult(segLogits: Tensor, dataSamples?: SegDataSample[] | null): SegDataSample[] {
    const [batchSize, C, H, W] = segLogits.shape as [number, number, number, number];
    const out: SegDataSample[] = [];
    for (let i = 0; i < batchSize; i++) {
      const sample = dataSamples?.[i];
      const result = torch.tidy(() => {
        let logits: Tensor;
        if (sample) {
          const meta = sample.metainfo;
          const [left, right, top, bottom] = (meta.img_padding_size ?? meta.padding_size ?? [0, 0, 0, 0]) as number[];
          logits = segLogits.slice(0, i, i + 1).slice(2, top!, H - bottom!).slice(3, left!, W - right!);
          if (meta.flip) {
            if (meta.flip_direction === 'horizontal') logits = logits.flip(3);
            else if (meta.flip_direction === 'vertical') logits = logits.flip(2);
            else throw new RangeError(`${this.className}: flip_direction must be 'horizontal' or 'vertical', got '${String(meta.flip_direction)}'`);
          }
          logits = resize(logits, { size: (meta.ori_shape as number[]).slice(0, 2), mode: 'bilinear', alignCorners: this.alignCorners, warning: false }).squeeze(0);
        } else {
          logits = segLogits.select(0, i);
        }
        let pred: Tensor;
        if (C > 1) {
          pred = logits.argmax(0, true);
        } else {
          logits = logits.sigmoid();
          pred = logits.gt(this.threshold ?? 0.3).long();
        }
        return { logits, pred };
      });
      const base: SegDataSample = sample ?? { metainfo: {} as SegMetaInfo };
      out.push({ ...base, seg_logits: { data: result.logits }, pred_sem_seg: { data: result.pred } });
    }
    return out;
  }
}

/** MMSeg's add_prefix: 'loss_ce' -> 'decode.loss_ce'. */
export function addPrefix<T>(values: Record<string, T>, prefix: string): Record<string, T> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`${prefix}.${k}`, v]));
}
