// BaseCascadeDecodeHead: MMSeg's base of decode heads that refine the previous head's logits (CascadeEncoderDecoder stages after the first).
import type { Tensor } from '../../../torch/index.js';
import type { SegDataSample, SegMetaInfo } from '../../structures/seg-data-sample.js';
import { BaseDecodeHead, type HeadCfg } from './decode-head.js';

/**
 * forward(inputs, prevOutput), loss(inputs, prevOutput, samples, trainCfg) and
 * predict(inputs, prevOutput, metas, testCfg), as MMSeg's. Without prevOutput they throw: such a
 * head only runs after another head.
 */
export abstract class BaseCascadeDecodeHead extends BaseDecodeHead {
  /** Logits at feature resolution from the features and the previous stage's logits. */
  abstract override forward(inputs: Tensor[], prevOutput?: Tensor): Tensor;

  /** The previous stage's logits, or an error naming this head. */
  protected requirePrev(prevOutput: Tensor | undefined, method: string): Tensor {
    if (prevOutput === undefined) throw new TypeError(`${this.className}.${method}: a cascade decode head needs the previous head's output (prevOutput)`);
    return prevOutput;
  }

  override loss(inputs: Tensor[], batchDataSamples: SegDataSample[], trainCfg?: HeadCfg): Record<string, Tensor>;
  override loss(inputs: Tensor[], prevOutput: Tensor, batchDataSamples: SegDataSample[], trainCfg?: HeadCfg): Record<string, Tensor>;
  override loss(inputs: Tensor[], prev: Tensor | SegDataSample[], samples?: SegDataSample[] | HeadCfg, _trainCfg?: HeadCfg): Record<string, Tensor> {
    if (Array.isArray(prev) || !Array.isArray(samples)) this.requirePrev(undefined, 'loss');
    return this.lossByFeat(this.forward(inputs, prev as Tensor), samples as SegDataSample[]);
  }

  override predict(inputs: Tensor[], batchImgMetas: SegMetaInfo[], testCfg?: HeadCfg): Tensor;
  override predict(inputs: Tensor[], prevOutput: Tensor, batchImgMetas: SegMetaInfo[], testCfg?: HeadCfg): Tensor;
  override predict(inputs: Tensor[], prev: Tensor | SegMetaInfo[], metas?: SegMetaInfo[] | HeadCfg, _testCfg?: HeadCfg): Tensor {
    if (Array.isArray(prev) || !Array.isArray(metas)) this.requirePrev(undefined, 'predict');
    return this.predictByFeat(this.forward(inputs, prev as Tensor), metas as SegMetaInfo[]);
  }
}
