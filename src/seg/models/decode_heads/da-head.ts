// DAHead: MMSeg's DANet head — position (PAM) and channel (CAM) attention branches, three classifiers and three losses.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { ConvModule } from '../utils/conv-module.js';
import { Scale } from '../utils/scale.js';
import type { SegDataSample, SegMetaInfo } from '../../structures/seg-data-sample.js';
import { BaseDecodeHead, baseDecodeHeadSchema, type HeadCfg } from './decode-head.js';
import { layerOptions } from './psp-head.js';

/**
 * Position Attention Module: MMSeg's SelfAttentionBlock as DANet configures it (plain 1x1 conv
 * key/query/value projections, no out projection, no matmul scaling), plus gamma * context + x.
 */
export class PAM extends nn.Module {
  readonly key_project: nn.Conv2d;
  readonly query_project: nn.Conv2d;
  readonly value_project: nn.Conv2d;
  readonly gamma: Scale;

  constructor(inChannels: number, channels: number) {
    super();
    this.key_project = this.registerModule('key_project', new nn.Conv2d(inChannels, channels, 1));
    this.query_project = this.registerModule('query_project', new nn.Conv2d(inChannels, channels, 1));
    this.value_project = this.registerModule('value_project', new nn.Conv2d(inChannels, inChannels, 1));
    this.gamma = this.registerModule('gamma', new Scale(0));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, , h, w] = x.shape as [number, number, number, number];
      const query = this.query_project.forward(x).flatten(2).permute(0, 2, 1);
      const key = this.key_project.forward(x).flatten(2);
      const value = this.value_project.forward(x).flatten(2).permute(0, 2, 1);
      const context = F.softmax(query.matmul(key), -1).matmul(value).permute(0, 2, 1).reshape(n, -1, h, w);
      return this.gamma.forward(context).add(x);
    });
  }
}

/** Channel Attention Module: softmax(max(energy) - energy) over channel affinities, gamma * out + x. */
export class CAM extends nn.Module {
  readonly gamma: Scale;

  constructor() {
    super();
    this.gamma = this.registerModule('gamma', new Scale(0));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, c, h, w] = x.shape as [number, number, number, number];
      const q = x.view(n, c, -1);
      const energy = q.bmm(q.permute(0, 2, 1));
      const attention = F.softmax(energy.amax(-1, true).expandAs(energy).sub(energy), -1);
      return this.gamma.forward(attention.bmm(q).view(n, c, h, w)).add(x);
    });
  }
}

export const daHeadSchema = baseDecodeHeadSchema.extend({
  pam_channels: z.number().int().positive(),
}).strict();

export type DAHeadOptions = z.input<typeof daHeadSchema>;

/** The three logits of DAHead.forwardAll: fused (conv_seg), PAM-only and CAM-only. */
export type DAHeadOutputs = [pamCam: Tensor, pam: Tensor, cam: Tensor];

/**
 * DANet (Fu et al.). forwardAll gives MMSeg's forward tuple; forward() and predict use only the
 * fused pam_cam logits (MMSeg's predict), and loss adds 'pam_cam.', 'pam.' and 'cam.' losses.
 */
export class DAHead extends BaseDecodeHead {
  readonly pamChannels: number;
  readonly pam_in_conv: ConvModule;
  readonly pam: PAM;
  readonly pam_out_conv: ConvModule;
  readonly pam_conv_seg: nn.Conv2d;
  readonly cam_in_conv: ConvModule;
  readonly cam: CAM;
  readonly cam_out_conv: ConvModule;
  readonly cam_conv_seg: nn.Conv2d;

  constructor(options: DAHeadOptions) {
    const { pam_channels, ...base } = parseOptions(daHeadSchema, options);
    super(base);
    this.pamChannels = pam_channels;
    const layer = layerOptions(this);
    const conv3 = (inC: number): ConvModule => new ConvModule({ in_channels: inC, out_channels: this.channels, kernel_size: 3, padding: 1, ...layer });
    const inChannels = this.inChannels as number;
    this.pam_in_conv = this.registerModule('pam_in_conv', conv3(inChannels));
    this.pam = this.registerModule('pam', new PAM(this.channels, pam_channels));
    this.pam_out_conv = this.registerModule('pam_out_conv', conv3(this.channels));
    this.pam_conv_seg = this.registerModule('pam_conv_seg', new nn.Conv2d(this.channels, this.numClasses, 1));
    this.cam_in_conv = this.registerModule('cam_in_conv', conv3(inChannels));
    this.cam = this.registerModule('cam', new CAM());
    this.cam_out_conv = this.registerModule('cam_out_conv', conv3(this.channels));
    this.cam_conv_seg = this.registerModule('cam_conv_seg', new nn.Conv2d(this.channels, this.numClasses, 1));
  }

  /** PAM feature classification: dropout then pam_conv_seg. */
  pamClsSeg(feat: Tensor): Tensor {
    return this.pam_conv_seg.forward(this.dropout ? this.dropout.forward(feat) : feat);
  }

  /** CAM feature classification: dropout then cam_conv_seg. */
  camClsSeg(feat: Tensor): Tensor {
    return this.cam_conv_seg.forward(this.dropout ? this.dropout.forward(feat) : feat);
  }

  /** MMSeg's forward: (pam_cam, pam, cam) logits. */
  forwardAll(inputs: Tensor[]): DAHeadOutputs {
    const outs = torch.tidy(() => {
      const x = this.transformInputs(inputs) as Tensor;
      const pamFeat = this.pam_out_conv.forward(this.pam.forward(this.pam_in_conv.forward(x)));
      const camFeat = this.cam_out_conv.forward(this.cam.forward(this.cam_in_conv.forward(x)));
      return [this.clsSeg(pamFeat.add(camFeat)), this.pamClsSeg(pamFeat), this.camClsSeg(camFeat)];
    });
    return outs as DAHeadOutputs;
  }

  /** The fused pam_cam logits (what MMSeg's predict uses). */
  forward(inputs: Tensor[]): Tensor {
    const [pamCam, pam, cam] = this.forwardAll(inputs);
    pam.dispose();
    cam.dispose();
    return pamCam;
  }

  /** Losses of all three outputs, keys prefixed 'pam_cam.', 'pam.', 'cam.' (MMSeg's add_prefix). */
  override loss(inputs: Tensor[], batchDataSamples: SegDataSample[], _trainCfg?: HeadCfg): Record<string, Tensor> {
    return this.lossByFeatAll(this.forwardAll(inputs), batchDataSamples);
  }

  lossByFeatAll(segLogits: DAHeadOutputs, batchDataSamples: SegDataSample[]): Record<string, Tensor> {
    const loss: Record<string, Tensor> = {};
    (['pam_cam', 'pam', 'cam'] as const).forEach((prefix, i) => {
      for (const [name, value] of Object.entries(this.lossByFeat(segLogits[i]!, batchDataSamples))) loss[`${prefix}.${name}`] = value;
    });
    return loss;
  }

  override predict(inputs: Tensor[], batchImgMetas: SegMetaInfo[], _testCfg?: HeadCfg): Tensor {
    return this.predictByFeat(this.forward(inputs), batchImgMetas);
  }
}

MODELS.register(DAHead);
