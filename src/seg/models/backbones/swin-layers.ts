// Swin Transformer's pieces as MMSeg names them: WindowMSA (relative position bias), ShiftWindowMSA
// (cyclic shift + mask), SwinBlock, SwinBlockSequence (one stage) and PatchMerging (2x2 unfold + Linear).
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import * as F from '../../../torch/functional/index.js';
import { AdaptivePadding, buildActivationLayer, buildNormLayer } from '../utils/index.js';
import { BaseModule, ModuleList } from '../init/index.js';
import { FFN, buildDropout } from './transformer-bricks.js';
import type { ActCfg, NormCfg } from './vit-layer.js';

/**
 * The index into relative_position_bias_table for each (query, key) pair of a Wh x Ww window:
 * (dh + Wh - 1) * (2Ww - 1) + (dw + Ww - 1) for the row/column offsets dh, dw of query minus key.
 */
export function swinRelativePositionIndex(wh: number, ww: number): number[][] {
  const n = wh * ww;
  return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => {
    const dh = Math.floor(i / ww) - Math.floor(j / ww);
    const dw = (i % ww) - (j % ww);
    return (dh + wh - 1) * (2 * ww - 1) + (dw + ww - 1);
  }));
}

/**
 * The (nW, ws*ws, ws*ws) mask of a shifted-window layer over a padded Hp x Wp map: 0 where two
 * tokens of a window came from the same region before the cyclic shift, -100 elsewhere.
 */
export function shiftWindowMask(hp: number, wp: number, windowSize: number, shiftSize: number): Tensor {
  // Region id per row/column band: [0, Hp-ws) | [Hp-ws, Hp-shift) | [Hp-shift, Hp).
  const band = (v: number, size: number): number => (v < size - windowSize ? 0 : v < size - shiftSize ? 1 : 2);
  const nh = hp / windowSize;
  const nw = wp / windowSize;
  const area = windowSize * windowSize;
  const data = new Float32Array(nh * nw * area * area);
  const ids = new Array<number>(area);
  for (let wy = 0; wy < nh; wy++) {
    for (let wx = 0; wx < nw; wx++) {
      for (let t = 0; t < area; t++) {
        const y = wy * windowSize + Math.floor(t / windowSize);
        const x = wx * windowSize + (t % windowSize);
        ids[t] = band(y, hp) * 3 + band(x, wp);
      }
      const base = (wy * nw + wx) * area * area;
      for (let i = 0; i < area; i++) for (let j = 0; j < area; j++) data[base + i * area + j] = ids[i] === ids[j] ? 0 : -100;
    }
  }
  return torch.tensor(data, { shape: [nh * nw, area, area] });
}

export interface WindowMSAOptions {
  embedDims: number;
  numHeads: number;
  windowSize: [number, number];
  qkvBias?: boolean;
  /** Overrides head_dims ** -0.5. */
  qkScale?: number | null;
  attnDropRate?: number;
  projDropRate?: number;
}

/** Multi-head self-attention inside each window, plus a learnt bias per relative position and head. */
export class WindowMSA extends BaseModule {
  readonly numHeads: number;
  readonly windowSize: [number, number];
  readonly scale: number;
  relativePositionBiasTable: nn.Parameter;
  relativePositionIndex: Tensor;
  qkv: nn.Linear;
  attnDrop: nn.Dropout;
  proj: nn.Linear;
  projDrop: nn.Dropout;

  constructor(opts: WindowMSAOptions) {
    super();
    this.numHeads = opts.numHeads;
    this.windowSize = opts.windowSize;
    this.scale = opts.qkScale || Math.floor(opts.embedDims / opts.numHeads) ** -0.5;
    const [wh, ww] = opts.windowSize;
    this.relativePositionBiasTable = this.registerParameter('relative_position_bias_table', torch.zeros([(2 * wh - 1) * (2 * ww - 1), opts.numHeads]));
    this.relativePositionIndex = this.registerBuffer('relative_position_index', torch.tensor(swinRelativePositionIndex(wh, ww), { dtype: 'int64' }));
    this.qkv = this.registerModule('qkv', new nn.Linear(opts.embedDims, opts.embedDims * 3, { bias: opts.qkvBias ?? true }));
    this.attnDrop = this.registerModule('attn_drop', new nn.Dropout(opts.attnDropRate ?? 0));
    this.proj = this.registerModule('proj', new nn.Linear(opts.embedDims, opts.embedDims));
    this.projDrop = this.registerModule('proj_drop', new nn.Dropout(opts.projDropRate ?? 0));
  }

  /** The table's own init, run when an init_cfg other than Pretrained drives the backbone. */
  override initWeights(): void {
    nn.init.truncNormal_(this.relativePositionBiasTable, 0, 0.02);
  }

  /** x: (nW*B, N, C); mask: (nW, N, N) of 0 / -100, or null. */
  forward(x: Tensor, mask: Tensor | null = null): Tensor {
    const [b, n, c] = x.shape as [number, number, number];
    const [q, k, v] = this.qkv.forward(x).reshape(b, n, 3, this.numHeads, -1).permute(2, 0, 3, 1, 4).unbind(0) as [Tensor, Tensor, Tensor];
    let attn = q.mul(this.scale).matmul(k.transpose(-2, -1));
    const area = this.windowSize[0] * this.windowSize[1];
    const bias = this.relativePositionBiasTable.index([this.relativePositionIndex.view(-1)]).view(area, area, -1).permute(2, 0, 1).contiguous();
    attn = attn.add(bias.unsqueeze(0));
    if (mask) {
      const nW = mask.size(0);
      attn = attn.view(b / nW, nW, this.numHeads, n, n).add(mask.unsqueeze(1).unsqueeze(0)).view(-1, this.numHeads, n, n);
    }
    attn = this.attnDrop.forward(F.softmax(attn, -1));
    return this.projDrop.forward(this.proj.forward(attn.matmul(v).transpose(1, 2).reshape(b, n, c)));
  }
}

export interface ShiftWindowMSAOptions extends Omit<WindowMSAOptions, 'windowSize'> {
  windowSize: number;
  /** 0: plain windows; else the windows move this many tokens right/down (0 < shift < window). */
  shiftSize?: number;
  dropPathRate?: number;
}

/** (B, H, W, C) -> (nW*B, ws, ws, C) and back. */
const windowPartition = (x: Tensor, ws: number): Tensor => {
  const [b, h, w, c] = x.shape as [number, number, number, number];
  return x.view(b, h / ws, ws, w / ws, ws, c).permute(0, 1, 3, 2, 4, 5).contiguous().view(-1, ws, ws, c);
};
const windowReverse = (windows: Tensor, h: number, w: number, ws: number): Tensor => {
  const b = windows.size(0) / ((h / ws) * (w / ws));
  return windows.view(b, h / ws, w / ws, ws, ws, -1).permute(0, 1, 3, 2, 4, 5).contiguous().view(b, h, w, -1);
};

/** Pads the map to whole windows, cyclically shifts it, runs WindowMSA with the region mask, and undoes both. */
export class ShiftWindowMSA extends BaseModule {
  readonly windowSize: number;
  readonly shiftSize: number;
  wMsa: WindowMSA;
  drop: nn.Module;

  constructor(opts: ShiftWindowMSAOptions) {
    super();
    this.windowSize = opts.windowSize;
    this.shiftSize = opts.shiftSize ?? 0;
    if (!(this.shiftSize >= 0 && this.shiftSize < this.windowSize)) throw new RangeError(`ShiftWindowMSA: shift_size must be in [0, window_size=${this.windowSize}), got ${this.shiftSize}`);
    this.wMsa = this.registerModule('w_msa', new WindowMSA({ ...opts, windowSize: [opts.windowSize, opts.windowSize] }));
    this.drop = this.registerModule('drop', buildDropout({ type: 'DropPath', drop_prob: opts.dropPathRate ?? 0 }));
  }

  forward(query: Tensor, hwShape: [number, number]): Tensor {
    const [b, l, c] = query.shape as [number, number, number];
    const [h, w] = hwShape;
    if (l !== h * w) throw new RangeError(`ShiftWindowMSA: ${l} tokens do not make a ${h}x${w} map`);
    const ws = this.windowSize;
    const s = this.shiftSize;
    const padR = (ws - (w % ws)) % ws;
    const padB = (ws - (h % ws)) % ws;
    let x = F.pad(query.view(b, h, w, c), [0, 0, 0, padR, 0, padB]);
    const [hp, wp] = [h + padB, w + padR];
    let mask: Tensor | null = null;
    if (s > 0) {
      x = x.roll([-s, -s], [1, 2]);
      mask = shiftWindowMask(hp, wp, ws, s).to({ dtype: x.dtype, device: x.device });
    }
    const windows = this.wMsa.forward(windowPartition(x, ws).view(-1, ws * ws, c), mask);
    x = windowReverse(windows.view(-1, ws, ws, c), hp, wp, ws);
    if (s > 0) x = x.roll([s, s], [1, 2]);
    if (padR > 0 || padB > 0) x = x.slice(1, 0, h).slice(2, 0, w).contiguous();
    return this.drop.forward(x.view(b, h * w, c));
  }
}

export interface SwinBlockOptions {
  embedDims: number;
  numHeads: number;
  feedforwardChannels: number;
  windowSize?: number;
  /** Shift the windows by window_size // 2 (every second block of a stage). */
  shift?: boolean;
  qkvBias?: boolean;
  qkScale?: number | null;
  dropRate?: number;
  attnDropRate?: number;
  dropPathRate?: number;
  actCfg?: ActCfg;
  normCfg?: NormCfg;
}

/** x + attn(norm1(x)), then that + ffn(norm2(that)). */
export class SwinBlock extends BaseModule {
  norm1: nn.Module;
  attn: ShiftWindowMSA;
  norm2: nn.Module;
  ffn: FFN;

  constructor(opts: SwinBlockOptions) {
    super();
    const normCfg = opts.normCfg ?? { type: 'LN' };
    const windowSize = opts.windowSize ?? 7;
    const dropPath = opts.dropPathRate ?? 0;
    this.norm1 = this.registerModule('norm1', buildNormLayer(normCfg, opts.embedDims)[1]);
    this.attn = this.registerModule('attn', new ShiftWindowMSA({
      embedDims: opts.embedDims,
      numHeads: opts.numHeads,
      windowSize,
      shiftSize: opts.shift ? Math.floor(windowSize / 2) : 0,
      qkvBias: opts.qkvBias ?? true,
      qkScale: opts.qkScale ?? null,
      attnDropRate: opts.attnDropRate ?? 0,
      projDropRate: opts.dropRate ?? 0,
      dropPathRate: dropPath,
    }));
    this.norm2 = this.registerModule('norm2', buildNormLayer(normCfg, opts.embedDims)[1]);
    this.ffn = this.registerModule('ffn', new FFN({
      embedDims: opts.embedDims,
      feedforwardChannels: opts.feedforwardChannels,
      numFcs: 2,
      ffnDrop: opts.dropRate ?? 0,
      dropoutLayer: { type: 'DropPath', drop_prob: dropPath },
      act: () => buildActivationLayer(opts.actCfg ?? { type: 'GELU' }),
    }));
  }

  /** In a tidy scope, so each block's intermediates are freed as soon as it returns. */
  forward(x: Tensor, hwShape: [number, number]): Tensor {
    return torch.tidy(() => {
      const y = this.attn.forward(this.norm1.forward(x) as Tensor, hwShape).add(x);
      return this.ffn.forward(this.norm2.forward(y) as Tensor, y);
    });
  }
}

export interface PatchMergingOptions {
  inChannels: number;
  outChannels: number;
  /** Kernel and stride of the unfold (2 in Swin). */
  stride?: number;
  normCfg?: NormCfg | null;
}

/**
 * MMSeg's PatchMerging (utils/embed.py, unfold variant): corner-pads to whole strides, gathers each
 * k x k patch into k*k*C channels (channel-major, as nn.Unfold), norms and projects them (no bias).
 */
export class PatchMerging extends BaseModule {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernel: number;
  adapPadding: AdaptivePadding;
  norm: nn.Module | null;
  reduction: nn.Linear;

  constructor(opts: PatchMergingOptions) {
    super();
    this.inChannels = opts.inChannels;
    this.outChannels = opts.outChannels;
    this.kernel = opts.stride ?? 2;
    const k = this.kernel;
    this.adapPadding = this.registerModule('adap_padding', new AdaptivePadding({ kernel_size: k, stride: k, padding: 'corner' }));
    const sampleDims = k * k * opts.inChannels;
    const normCfg: NormCfg | null = opts.normCfg === undefined ? { type: 'LN' } : opts.normCfg;
    this.norm = normCfg ? this.registerModule('norm', buildNormLayer(normCfg, sampleDims)[1]) : null;
    this.reduction = this.registerModule('reduction', new nn.Linear(sampleDims, opts.outChannels, { bias: false }));
  }

  forward(x: Tensor, hwShape: [number, number]): [Tensor, [number, number]] {
    const [b, l, c] = x.shape as [number, number, number];
    const [h, w] = hwShape;
    if (l !== h * w) throw new RangeError(`PatchMerging: ${l} tokens do not make a ${h}x${w} map`);
    const map = this.adapPadding.forward(x.view(b, h, w, c).permute(0, 3, 1, 2));
    const k = this.kernel;
    const out: [number, number] = [Math.floor((map.size(2) - k) / k) + 1, Math.floor((map.size(3) - k) / k) + 1];
    let y = F.unfold(map, k, { stride: k }).transpose(1, 2);
    if (this.norm) y = this.norm.forward(y) as Tensor;
    return [this.reduction.forward(y), out];
  }
}

export interface SwinBlockSequenceOptions extends Omit<SwinBlockOptions, 'shift' | 'dropPathRate'> {
  depth: number;
  /** One rate per block (MMSeg's linear schedule slice) or one for all. */
  dropPathRate?: number | number[];
  downsample?: PatchMerging | null;
}

/** One stage: `depth` blocks (odd ones shifted), then the optional PatchMerging. */
export class SwinBlockSequence extends BaseModule {
  blocks: ModuleList<SwinBlock>;
  downsample: PatchMerging | null;

  constructor(opts: SwinBlockSequenceOptions) {
    super();
    const rates = Array.isArray(opts.dropPathRate) ? opts.dropPathRate : new Array<number>(opts.depth).fill(opts.dropPathRate ?? 0);
    if (rates.length !== opts.depth) throw new RangeError(`SwinBlockSequence: ${rates.length} drop path rates for ${opts.depth} blocks`);
    this.blocks = this.registerModule('blocks', new ModuleList<SwinBlock>());
    for (let i = 0; i < opts.depth; i++) this.blocks.append(new SwinBlock({ ...opts, shift: i % 2 === 1, dropPathRate: rates[i]! }));
    this.downsample = opts.downsample ? this.registerModule('downsample', opts.downsample) : null;
  }

  /** [x after downsampling, its grid, x before downsampling (the stage output), its grid]. */
  forward(x: Tensor, hwShape: [number, number]): [Tensor, [number, number], Tensor, [number, number]] {
    for (const block of this.blocks.toArray()) x = block.forward(x, hwShape);
    if (!this.downsample) return [x, hwShape, x, hwShape];
    const [down, downHw] = this.downsample.forward(x, hwShape);
    return [down, downHw, x, hwShape];
  }
}
