// ResNet's residual blocks (BasicBlock, Bottleneck) and ResLayer, with MMSeg's child names
// (conv1, bn1, ..., downsample.0/1) so parameter names and checkpoints line up.
import * as nn from '../../../torch/nn/index.js';
import type { Tensor } from '../../../torch/index.js';
import { buildConvLayer, buildNormLayer, type ConvCfg, type NormCfg } from '../utils/index.js';
import { BaseModule, Sequential } from '../init/index.js';

export interface ResBlockOptions {
  inplanes: number;
  planes: number;
  stride?: number;
  dilation?: number;
  downsample?: nn.Module | null;
  /** 'pytorch': the 3x3 conv strides; 'caffe': the first 1x1 conv does (Bottleneck only). */
  style?: 'pytorch' | 'caffe';
  convCfg?: ConvCfg | null;
  normCfg: NormCfg;
  /** zero_init_residual: init_cfg sets the last norm to 0 so the block starts as the identity. */
  zeroInitLastNorm?: boolean;
}

/** What the blocks share: a ReLU, an optional downsample branch and the last norm (zero-initialised). */
export abstract class ResBlock extends BaseModule {
  relu!: nn.ReLU;
  downsample!: nn.Module | null;

  /** The norm layer zero_init_residual sets to 0 (MMSeg's norm2 / norm3 override). */
  abstract get lastNorm(): nn.Module;

  /** Registers the shared tail; `lastNormName` is the child zero_init_residual overrides ('bn2', 'bn3'). */
  protected finish(opts: ResBlockOptions, lastNormName: string): void {
    this.relu = this.registerModule('relu', new nn.ReLU({ inplace: true }));
    this.downsample = this.registerModule('downsample', opts.downsample ?? null);
    // MMSeg names the property (norm2 / norm3); the override needs the registered child's name.
    if (opts.zeroInitLastNorm) this.initCfg = { type: 'Constant', val: 0, override: { name: lastNormName } };
  }

  /** Adds the (possibly downsampled) identity and applies the final ReLU. */
  protected residual(out: Tensor, x: Tensor): Tensor {
    const identity = this.downsample ? (this.downsample.forward(x) as Tensor) : x;
    return this.relu.forward(out.add(identity));
  }

  abstract override forward(x: Tensor): Tensor;
}

/** Two 3x3 convs; only the first is dilated (as MMSeg: conv2 keeps padding 1). */
export class BasicBlock extends ResBlock {
  static readonly expansion = 1;
  readonly conv1: nn.Conv2d;
  readonly conv2: nn.Conv2d;
  readonly norm1Name: string;
  readonly norm2Name: string;

  constructor(opts: ResBlockOptions) {
    super();
    const { inplanes, planes, stride = 1, dilation = 1 } = opts;
    const [n1, norm1] = buildNormLayer(opts.normCfg, planes, 1);
    const [n2, norm2] = buildNormLayer(opts.normCfg, planes, 2);
    this.norm1Name = n1;
    this.norm2Name = n2;
    this.conv1 = this.registerModule('conv1', buildConvLayer(opts.convCfg ?? null, inplanes, planes, 3, { stride, padding: dilation, dilation, bias: false }));
    this.registerModule(n1, norm1);
    this.conv2 = this.registerModule('conv2', buildConvLayer(opts.convCfg ?? null, planes, planes, 3, { padding: 1, bias: false }));
    this.registerModule(n2, norm2);
    this.finish(opts, n2);
  }

  get norm1(): nn.Module {
    return this.getSubmodule(this.norm1Name);
  }

  get norm2(): nn.Module {
    return this.getSubmodule(this.norm2Name);
  }

  get lastNorm(): nn.Module {
    return this.norm2;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.norm1.forward(this.conv1.forward(x)));
    out = this.norm2.forward(this.conv2.forward(out));
    return this.residual(out, x);
  }
}

/** 1x1 -> 3x3 (dilated) -> 1x1 with 4x expansion. */
export class Bottleneck extends ResBlock {
  static readonly expansion = 4;
  readonly conv1: nn.Conv2d;
  readonly conv2: nn.Conv2d;
  readonly conv3: nn.Conv2d;
  readonly norm1Name: string;
  readonly norm2Name: string;
  readonly norm3Name: string;

  constructor(opts: ResBlockOptions) {
    super();
    const { inplanes, planes, stride = 1, dilation = 1, style = 'pytorch' } = opts;
    if (style !== 'pytorch' && style !== 'caffe') throw new TypeError(`Bottleneck: style must be 'pytorch' | 'caffe', got '${String(style)}'`);
    const conv1Stride = style === 'pytorch' ? 1 : stride;
    const conv2Stride = style === 'pytorch' ? stride : 1;
    const [n1, norm1] = buildNormLayer(opts.normCfg, planes, 1);
    const [n2, norm2] = buildNormLayer(opts.normCfg, planes, 2);
    const [n3, norm3] = buildNormLayer(opts.normCfg, planes * Bottleneck.expansion, 3);
    this.norm1Name = n1;
    this.norm2Name = n2;
    this.norm3Name = n3;
    const convCfg = opts.convCfg ?? null;
    this.conv1 = this.registerModule('conv1', buildConvLayer(convCfg, inplanes, planes, 1, { stride: conv1Stride, bias: false }));
    this.registerModule(n1, norm1);
    this.conv2 = this.registerModule('conv2', buildConvLayer(convCfg, planes, planes, 3, { stride: conv2Stride, padding: dilation, dilation, bias: false }));
    this.registerModule(n2, norm2);
    this.conv3 = this.registerModule('conv3', buildConvLayer(convCfg, planes, planes * Bottleneck.expansion, 1, { bias: false }));
    this.registerModule(n3, norm3);
    this.finish(opts, n3);
  }

  get norm1(): nn.Module {
    return this.getSubmodule(this.norm1Name);
  }

  get norm2(): nn.Module {
    return this.getSubmodule(this.norm2Name);
  }

  get norm3(): nn.Module {
    return this.getSubmodule(this.norm3Name);
  }

  get lastNorm(): nn.Module {
    return this.norm3;
  }

  forward(x: Tensor): Tensor {
    let out = this.relu.forward(this.norm1.forward(this.conv1.forward(x)));
    out = this.relu.forward(this.norm2.forward(this.conv2.forward(out)));
    out = this.norm3.forward(this.conv3.forward(out));
    return this.residual(out, x);
  }
}

export type ResBlockClass = (new (opts: ResBlockOptions) => ResBlock) & { readonly expansion: number };

export interface ResLayerOptions {
  inplanes: number;
  planes: number;
  numBlocks: number;
  stride?: number;
  dilation?: number;
  /** Downsample with a 2x2 average pool then a stride-1 conv (ResNetV1d). */
  avgDown?: boolean;
  style?: 'pytorch' | 'caffe';
  convCfg?: ConvCfg | null;
  normCfg: NormCfg;
  zeroInitLastNorm?: boolean;
  /** Dilation of each block (the last stage only), overriding `dilation`. */
  multiGrid?: number[] | null;
  /** Halve the first block's dilation when dilation > 1 (as DeepLab's contracted dilation). */
  contractDilation?: boolean;
}

function buildBlocks(block: ResBlockClass, opts: ResLayerOptions): ResBlock[] {
  const { inplanes, planes, numBlocks, stride = 1, dilation = 1, multiGrid = null } = opts;
  const outPlanes = planes * block.expansion;
  let downsample: nn.Sequential | null = null;
  if (stride !== 1 || inplanes !== outPlanes) {
    const parts: nn.Module[] = [];
    if (opts.avgDown) parts.push(new nn.AvgPool2d(stride, { stride, ceilMode: true, countIncludePad: false }));
    parts.push(buildConvLayer(opts.convCfg ?? null, inplanes, outPlanes, 1, { stride: opts.avgDown ? 1 : stride, bias: false }));
    parts.push(buildNormLayer(opts.normCfg, outPlanes)[1]);
    downsample = new nn.Sequential(...parts);
  }
  if (multiGrid && multiGrid.length < numBlocks) {
    throw new RangeError(`ResLayer: multi_grid has ${multiGrid.length} entries but the stage has ${numBlocks} blocks`);
  }
  const firstDilation = multiGrid ? multiGrid[0]! : dilation > 1 && opts.contractDilation ? Math.floor(dilation / 2) : dilation;
  const common = { planes, style: opts.style, convCfg: opts.convCfg, normCfg: opts.normCfg, zeroInitLastNorm: opts.zeroInitLastNorm };
  const blocks = [new block({ ...common, inplanes, stride, dilation: firstDilation, downsample })];
  for (let i = 1; i < numBlocks; i++) {
    blocks.push(new block({ ...common, inplanes: outPlanes, stride: 1, dilation: multiGrid ? multiGrid[i]! : dilation }));
  }
  return blocks;
}

/** One ResNet stage: blocks named '0', '1', ...; the first one strides and downsamples (MMEngine Sequential, so init reaches the blocks). */
export class ResLayer extends Sequential {
  constructor(readonly block: ResBlockClass, opts: ResLayerOptions) {
    super(...buildBlocks(block, opts));
  }

  override forward(x: Tensor): Tensor {
    return super.forward(x) as Tensor;
  }
}
