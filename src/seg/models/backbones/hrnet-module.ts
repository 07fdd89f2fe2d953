// HRNet's HRModule: parallel branches of residual blocks at several resolutions, then fuse layers that add every branch into every output.
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { buildConvLayer, buildNormLayer, resize, type ConvCfg, type NormCfg } from '../utils/index.js';
import { BaseModule, ModuleList, Sequential } from '../init/index.js';
import type { ResBlockClass } from './resnet-blocks.js';
import { Upsample } from './unet-blocks.js';

/**
 * A ModuleList whose empty slots stay empty (PyTorch's ModuleList holding None): the slot keeps
 * its index, so the parameter names after it (fuse_layers.1.0..., transition1.1...) line up.
 */
export function moduleListWithGaps(items: (nn.Module | null)[]): nn.ModuleList {
  const list = new nn.ModuleList();
  items.forEach((m, i) => list.registerModule(String(i), m));
  return list;
}

/** 3x3 conv (+ norm, + optional ReLU) in an nn.Sequential: the unit of transitions and downsampling fuse paths. */
export function convNorm(convCfg: ConvCfg | null, normCfg: NormCfg, cin: number, cout: number, stride: number, kernel: 1 | 3, relu: boolean): nn.Sequential {
  const parts: nn.Module[] = [
    buildConvLayer(convCfg, cin, cout, kernel, { stride, padding: kernel === 3 ? 1 : 0, bias: false }),
    buildNormLayer(normCfg, cout)[1],
  ];
  if (relu) parts.push(new nn.ReLU());
  return new nn.Sequential(...parts);
}

export interface HRModuleOptions {
  numBranches: number;
  block: ResBlockClass;
  /** Blocks per branch (one entry per branch). */
  numBlocks: number[];
  /** Input channels per branch. */
  inChannels: number[];
  /** Block width per branch; a branch outputs numChannels[i] * block.expansion channels. */
  numChannels: number[];
  /** false: only the highest-resolution output is fused (the last module of the last stage). */
  multiscaleOutput?: boolean;
  convCfg?: ConvCfg | null;
  normCfg: NormCfg;
}

/**
 * MMSeg's HRModule. Children: `branches.<b>.<k>` (blocks) and `fuse_layers.<i>.<j>`:
 * for j > i a 1x1 conv + norm + bilinear Upsample by 2^(j-i); for j < i, i-j strided 3x3
 * convs (`fuse_layers.i.j.<k>.0/1`, ReLU between them); j = i is an empty slot.
 */
export class HRModule extends BaseModule {
  readonly numBranches: number;
  readonly multiscaleOutput: boolean;
  /** Channels of each branch output (MMSeg updates its in_channels list to these in place). */
  readonly outChannels: number[];
  readonly branches: ModuleList<Sequential>;
  readonly fuse_layers: nn.ModuleList | null;
  private readonly fuse: (nn.Module | null)[][] = [];
  readonly relu: nn.ReLU;

  constructor(opts: HRModuleOptions) {
    super(null);
    const { numBranches, block, numBlocks, inChannels, numChannels, normCfg } = opts;
    const convCfg = opts.convCfg ?? null;
    for (const [name, list] of [['num_blocks', numBlocks], ['num_channels', numChannels], ['in_channels', inChannels]] as const) {
      if (list.length !== numBranches) {
        throw new RangeError(`HRModule: ${name} has ${list.length} entries but num_branches is ${numBranches}`);
      }
    }
    this.numBranches = numBranches;
    this.multiscaleOutput = opts.multiscaleOutput ?? true;
    this.outChannels = numChannels.map((c) => c * block.expansion);

    const branches = numChannels.map((planes, b) => {
      const cin = inChannels[b]!;
      const cout = this.outChannels[b]!;
      const downsample = cin !== cout ? convNorm(convCfg, normCfg, cin, cout, 1, 1, false) : null;
      const blocks = [new block({ inplanes: cin, planes, downsample, convCfg, normCfg })];
      for (let k = 1; k < numBlocks[b]!; k++) blocks.push(new block({ inplanes: cout, planes, convCfg, normCfg }));
      return new Sequential(...blocks);
    });
    this.branches = this.registerModule('branches', new ModuleList(branches));
    this.fuse_layers = this.registerModule('fuse_layers', numBranches === 1 ? null : this.makeFuseLayers(convCfg, normCfg));
    this.relu = this.registerModule('relu', new nn.ReLU());
  }

  private makeFuseLayers(convCfg: ConvCfg | null, normCfg: NormCfg): nn.ModuleList {
    const ch = this.outChannels;
    const numOut = this.multiscaleOutput ? this.numBranches : 1;
    const layers: nn.ModuleList[] = [];
    for (let i = 0; i < numOut; i++) {
      const row: (nn.Module | null)[] = [];
      for (let j = 0; j < this.numBranches; j++) {
        if (j > i) {
          const up = convNorm(convCfg, normCfg, ch[j]!, ch[i]!, 1, 1, false);
          // MMSeg sets align_corners=False for HRNet's upsampling
          up.append(new Upsample({ scale_factor: 2 ** (j - i), mode: 'bilinear', align_corners: false }));
          row.push(up);
        } else if (j === i) {
          row.push(null);
        } else {
          // i - j stride-2 convs: all but the last keep branch j's width and end in a ReLU
          const steps = Array.from({ length: i - j }, (_, k) => (k === i - j - 1
            ? convNorm(convCfg, normCfg, ch[j]!, ch[i]!, 2, 3, false)
            : convNorm(convCfg, normCfg, ch[j]!, ch[j]!, 2, 3, true)));
          row.push(new nn.Sequential(...steps));
        }
      }
      this.fuse.push(row);
      layers.push(moduleListWithGaps(row));
    }
    return new nn.ModuleList(layers);
  }

  /** One tensor per branch in; one per branch out (or just the first without multiscale output). */
  forward(xs: Tensor[]): Tensor[] {
    if (xs.length !== this.numBranches) throw new RangeError(`HRModule: expected ${this.numBranches} inputs (one per branch), got ${xs.length}`);
    return torch.tidy(() => {
      const x = xs.map((t, b) => this.branches.at(b).forward(t) as Tensor);
      if (this.numBranches === 1) return x;
      return this.fuse.map((row, i) => {
        let y: Tensor | null = null;
        for (let j = 0; j < this.numBranches; j++) {
          let term: Tensor;
          if (j === i) term = x[j]!;
          else if (j > i) term = resize(row[j]!.forward(x[j]!) as Tensor, { size: x[i]!.shape.slice(2), mode: 'bilinear', alignCorners: false });
          else term = row[j]!.forward(x[j]!) as Tensor;
          y = y === null ? term : y.add(term);
        }
        return this.relu.forward(y!);
      });
    });
  }
}
