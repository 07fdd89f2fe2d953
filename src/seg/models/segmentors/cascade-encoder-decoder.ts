// CascadeEncoderDecoder: MMSeg's EncoderDecoder whose decode heads run in order, each later head refining the previous head's logits.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import type { BaseDecodeHead } from '../decode_heads/decode-head.js';
import { BaseCascadeDecodeHead } from '../decode_heads/cascade-decode-head.js';
import type { SegDataSample, SegMetaInfo } from '../../structures/seg-data-sample.js';
import { addPrefix } from './base-segmentor.js';
import { EncoderDecoder, type EncoderDecoderOptions } from './encoder-decoder.js';

const componentCfg = z.object({ type: z.unknown() }).passthrough();

/** The keys CascadeEncoderDecoder adds or changes; the others are EncoderDecoder's (encoderDecoderSchema). */
export const cascadeStagesSchema = z.object({
  num_stages: z.number().int().min(2),
  /** One head config per stage: a plain head first, cascade heads (forward(x, prev_output)) after. */
  decode_head: z.array(componentCfg).min(2),
}).strict();

export type CascadeEncoderDecoderOptions = Omit<EncoderDecoderOptions, 'decode_head'> & z.input<typeof cascadeStagesSchema>;

/**
 * The `decode_head` child is an nn.ModuleList of the stages (keys decode_head.0.*, decode_head.1.*,
 * as MMSeg); the `decode_head` field is the last stage, which predicts (align_corners,
 * num_classes and out_channels come from it). Losses are 'decode_0.*', 'decode_1.*', ...
 */
export class CascadeEncoderDecoder extends EncoderDecoder {
  readonly numStages: number;
  /** Stage 0: a plain decode head. */
  readonly firstHead: BaseDecodeHead;
  /** Stages 1 .. num_stages-1, in order; the last one predicts. */
  readonly cascadeHeads: BaseCascadeDecodeHead[];

  constructor(options: CascadeEncoderDecoderOptions) {
    // The cascade keys are checked here; EncoderDecoder's schema checks the rest.
    const { num_stages: numStages, decode_head: headCfgs, ...others } = (options ?? {}) as Record<string, unknown>;
    const stages = parseOptions(cascadeStagesSchema, { num_stages: numStages, decode_head: headCfgs });
    if (stages.decode_head.length !== stages.num_stages) throw new ConfigError(['decode_head'], `has ${stages.decode_head.length} heads but num_stages is ${stages.num_stages}`);
    const last = stages.num_stages - 1;
    const earlier = stages.decode_head.slice(0, last).map((c, i) => MODELS.build<BaseDecodeHead>(c, { keyPath: ['decode_head', i] }));
    try {
      // EncoderDecoder builds the last stage as its decode_head; the list replaces it below.
      super({ ...others, decode_head: stages.decode_head[last]! } as EncoderDecoderOptions);
    } catch (err) {
      earlier.forEach((h) => h.dispose());
      if (err instanceof ConfigError && err.keyPath[0] === 'decode_head') throw new ConfigError(['decode_head', last, ...err.keyPath.slice(1)], err.detail, err.file);
      throw err;
    }
    const lastHead = this.decode_head;
    const heads = [...earlier, lastHead];
    heads.forEach((h, i) => {
      if (i === 0 && h instanceof BaseCascadeDecodeHead) throw new ConfigError(['decode_head', 0, 'type'], `the first stage needs a plain decode head, got the cascade head ${h.className}`);
      if (i > 0 && !(h instanceof BaseCascadeDecodeHead)) throw new ConfigError(['decode_head', i, 'type'], `stages after the first need a cascade decode head (forward(inputs, prev_output)), got ${h.className}`);
    });
    this.numStages = stages.num_stages;
    this.firstHead = heads[0]!;
    this.cascadeHeads = heads.slice(1) as BaseCascadeDecodeHead[];
    this.registerModule('decode_head', new nn.ModuleList<BaseDecodeHead>(heads));
    // registerModule points fields that held the old child at the list; decode_head stays the predicting stage.
    (this as unknown as { decode_head: BaseDecodeHead }).decode_head = lastHead;
  }

  /** The output of the first `count` stages run in order (logits at feature resolution). */
  private runStages(x: Tensor[], count: number): Tensor {
    let out = this.firstHead.forward(x);
    for (const head of this.cascadeHeads.slice(0, count - 1)) out = head.forward(x, out);
    return out;
  }

  override encodeDecode(inputs: Tensor, batchImgMetas: SegMetaInfo[]): Tensor {
    return torch.tidy(() => {
      const x = this.extractFeat(inputs);
      const prev = this.runStages(x, this.numStages - 1);
      return this.cascadeHeads[this.numStages - 2]!.predict(x, prev, batchImgMetas, this.testCfg);
    });
  }

  /** Stage i's losses prefixed 'decode_i.' (stage i > 0 gets the previous stage's forward output), then the auxiliary heads'. */
  override loss(inputs: Tensor, dataSamples: SegDataSample[]): Record<string, Tensor> {
    const x = this.extractFeat(inputs);
    const losses = addPrefix(this.firstHead.loss(x, dataSamples, this.trainCfg), 'decode_0');
    // As MMSeg: the previous stage runs forward again (its loss pass is not reused).
    let prev = this.firstHead.forward(x);
    this.cascadeHeads.forEach((head, k) => {
      if (k > 0) prev = this.cascadeHeads[k - 1]!.forward(x, prev);
      Object.assign(losses, addPrefix(head.loss(x, prev, dataSamples, this.trainCfg), `decode_${k + 1}`));
    });
    if (this.auxiliary_head instanceof nn.ModuleList) {
      this.auxiliary_head.toArray().forEach((head, i) => Object.assign(losses, addPrefix(head.loss(x, dataSamples, this.trainCfg), `aux_${i}`)));
    } else if (this.auxiliary_head) {
      Object.assign(losses, addPrefix(this.auxiliary_head.loss(x, dataSamples, this.trainCfg), 'aux'));
    }
    return losses;
  }

  override forwardTensor(inputs: Tensor): Tensor {
    return this.runStages(this.extractFeat(inputs), this.numStages);
  }
}

MODELS.register(CascadeEncoderDecoder);
