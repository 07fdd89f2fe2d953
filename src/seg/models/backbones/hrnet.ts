// MMSeg's HRNet backbone: a stride-4 stem, a Bottleneck layer, then stages of HRModules joined by transition layers that add lower-resolution branches.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { buildConvLayer, buildNormLayer, type ConvCfg, type NormCfg } from '../utils/index.js';
import { BaseModule, Sequential, initCfgSchema, type InitCfgInput } from '../init/index.js';
import { BasicBlock, Bottleneck, type ResBlockClass } from './resnet-blocks.js';
import { HRModule, convNorm, moduleListWithGaps } from './hrnet-module.js';
import { checkBackboneInit, keepFrozenAndNormEval } from './backbone-common.js';

const int = z.number().int();
const cfgObject = z.looseObject({ type: z.string() });

const stageSchema = z.object({
  num_modules: int.positive(),
  num_branches: int.positive(),
  block: z.enum(['BASIC', 'BOTTLENECK']),
  num_blocks: z.array(int.positive()).min(1),
  num_channels: z.array(int.positive()).min(1),
}).strict();

export const hrnetSchema = z.object({
  /** stage1..stage4: num_modules, num_branches, block, num_blocks, num_channels. */
  extra: z.object({ stage1: stageSchema, stage2: stageSchema, stage3: stageSchema, stage4: stageSchema }).strict(),
  in_channels: int.positive().default(3),
  conv_cfg: cfgObject.nullable().default(null),
  norm_cfg: cfgObject.default({ type: 'BN', requires_grad: true }),
  norm_eval: z.boolean().default(false),
  /** Gradient checkpointing only saves memory; accepted and ignored. */
  with_cp: z.boolean().default(false),
  // MMSeg 4 stages: 0 freezes the stem, k also layer1/stage2.. and the transitions into them
  frozen_stages: int.min(-1).max(4).default(-1),
  /**
   * Accepted for config compatibility. In MMSeg 1.2 it never takes effect: the blocks get their
   * zero init only when the backbone has no `init_cfg` attribute, which BaseModule always sets.
   */
  zero_init_residual: z.boolean().default(false),
  multiscale_output: z.boolean().default(true),
  pretrained: z.string().nullable().default(null),
  init_cfg: initCfgSchema,
}).strict();

export type HRNetOptions = z.input<typeof hrnetSchema>;
type HRNetConfig = z.output<typeof hrnetSchema>;
type StageConfig = z.output<typeof stageSchema>;

const BLOCKS: Record<StageConfig['block'], ResBlockClass> = { BASIC: BasicBlock, BOTTLENECK: Bottleneck };
const STAGES = ['stage1', 'stage2', 'stage3', 'stage4'] as const;

function checkConfig(cfg: HRNetConfig): void {
  for (const s of STAGES) {
    const st = cfg.extra[s];
    for (const key of ['num_blocks', 'num_channels'] as const) {
      if (st[key].length !== st.num_branches) {
        throw new ConfigError(['extra', s, key], `expected ${st.num_branches} entries (num_branches), got ${st[key].length}`);
      }
    }
  }
  checkBackboneInit({ init_cfg: cfg.init_cfg, pretrained: cfg.pretrained });
}

/**
 * HRNet as MMSeg: conv1/norm1/conv2/norm2 (two stride-2 3x3 convs, 64 channels), layer1 (the
 * stage1 blocks), then transition{k} + stage{k+1} for k = 1..3. forward returns stage4's
 * outputs, highest resolution first. frozen_stages / norm_eval hold after every train() call.
 */
export class HRNet extends BaseModule {
  readonly cfg: HRNetConfig;
  readonly norm1Name: string;
  readonly norm2Name: string;
  /** Channels of the outputs of forward(). */
  readonly outChannels: number[];
  private readonly transitions: (nn.Module | null)[][] = [];

  constructor(options: HRNetOptions) {
    const cfg = parseOptions(hrnetSchema, options);
    checkConfig(cfg);
    super(cfg.pretrained !== null
      ? { type: 'Pretrained', checkpoint: cfg.pretrained }
      : cfg.init_cfg === null
        ? [{ type: 'Kaiming', layer: 'Conv2d' }, { type: 'Constant', val: 1, layer: ['_BatchNorm', 'GroupNorm'] }]
        : (cfg.init_cfg as InitCfgInput));
    this.cfg = cfg;
    const normCfg = cfg.norm_cfg as NormCfg;
    const convCfg = cfg.conv_cfg as ConvCfg | null;

    const [n1, norm1] = buildNormLayer(normCfg, 64, 1);
    const [n2, norm2] = buildNormLayer(normCfg, 64, 2);
    this.norm1Name = n1;
    this.norm2Name = n2;
    this.registerModule('conv1', buildConvLayer(convCfg, cfg.in_channels, 64, 3, { stride: 2, padding: 1, bias: false }));
    this.registerModule(n1, norm1);
    this.registerModule('conv2', buildConvLayer(convCfg, 64, 64, 3, { stride: 2, padding: 1, bias: false }));
    this.registerModule(n2, norm2);
    this.registerModule('relu', new nn.ReLU({ inplace: true }));

    const s1 = cfg.extra.stage1;
    const block1 = BLOCKS[s1.block];
    const planes1 = s1.num_channels[0]!;
    const out1 = planes1 * block1.expansion;
    const downsample = 64 !== out1 ? convNorm(convCfg, normCfg, 64, out1, 1, 1, false) : null;
    const layer1 = [new block1({ inplanes: 64, planes: planes1, downsample, convCfg, normCfg })];
    for (let k = 1; k < s1.num_blocks[0]!; k++) layer1.push(new block1({ inplanes: out1, planes: planes1, convCfg, normCfg }));
    this.registerModule('layer1', new Sequential(...layer1));

    let pre = [out1];
    for (let k = 1; k <= 3; k++) {
      const st = cfg.extra[STAGES[k]!];
      const block = BLOCKS[st.block];
      const cur = st.num_channels.map((c) => c * block.expansion);
      const row = this.makeTransition(pre, cur, convCfg, normCfg);
      this.transitions.push(row);
      this.registerModule(`transition${k}`, moduleListWithGaps(row));
      const modules: HRModule[] = [];
      let inChannels = cur;
      for (let i = 0; i < st.num_modules; i++) {
        const m = new HRModule({
          numBranches: st.num_branches, block, numBlocks: st.num_blocks, inChannels, numChannels: st.num_channels,
          // multiscale_output only changes the last module of the last stage
          multiscaleOutput: k < 3 || i < st.num_modules - 1 || cfg.multiscale_output, convCfg, normCfg,
        });
        inChannels = m.outChannels;
        modules.push(m);
      }
      this.registerModule(`stage${k + 1}`, new Sequential(...modules));
      pre = inChannels;
    }
    this.outChannels = cfg.multiscale_output ? pre : pre.slice(0, 1);
    this.freezeStages();
  }

  get norm1(): nn.Module {
    return this.getSubmodule(this.norm1Name);
  }

  get norm2(): nn.Module {
    return this.getSubmodule(this.norm2Name);
  }

  /**
   * Branch i keeps its input (empty slot) when the widths match, or gets a 3x3 conv to the new
   * width; each new branch is made from the last previous one by stride-2 3x3 convs.
   */
  private makeTransition(pre: number[], cur: number[], convCfg: ConvCfg | null, normCfg: NormCfg): (nn.Module | null)[] {
    return cur.map((c, i) => {
      if (i < pre.length) return c !== pre[i] ? convNorm(convCfg, normCfg, pre[i]!, c, 1, 3, true) : null;
      const last = pre[pre.length - 1]!;
      const steps = Array.from({ length: i + 1 - pre.length }, (_, j) =>
        convNorm(convCfg, normCfg, last, j === i - pre.length ? c : last, 2, 3, true));
      return new nn.Sequential(...steps);
    });
  }

  /** frozen_stages >= 0: the stem; k >= 1 also layer1/stage2..stage{k} and transition1..transition{min(k,3)}. */
  private freezeStages(): void {
    const frozen = this.cfg.frozen_stages;
    if (frozen < 0) return;
    const mods = [this.getSubmodule('conv1'), this.norm1, this.getSubmodule('conv2'), this.norm2];
    for (let i = 1; i <= frozen; i++) {
      mods.push(this.getSubmodule(i === 1 ? 'layer1' : `stage${i}`));
      mods.push(this.getSubmodule(`transition${Math.min(i, 3)}`));
    }
    for (const m of mods) {
      m.eval();
      m.requiresGrad_(false);
    }
  }

  forward(x: Tensor): Tensor[] {
    return torch.tidy(() => {
      const relu = this.getSubmodule('relu');
      let out = relu.forward(this.norm1.forward(this.getSubmodule('conv1').forward(x))) as Tensor;
      out = relu.forward(this.norm2.forward(this.getSubmodule('conv2').forward(out))) as Tensor;
      out = this.getSubmodule('layer1').forward(out) as Tensor;
      let ys: Tensor[] = [out];
      for (let k = 1; k <= 3; k++) {
        // as MMSeg, every transition conv reads the last (lowest-resolution) previous output
        const last = ys[ys.length - 1]!;
        const xs = this.transitions[k - 1]!.map((t, i) => (t === null ? ys[i]! : (t.forward(last) as Tensor)));
        ys = this.getSubmodule(`stage${k + 1}`).forward(xs) as Tensor[];
      }
      return ys;
    });
  }

  /** Training mode everywhere except the frozen stages and, with norm_eval, every batch norm. */
  override train(mode = true): this {
    super.train(mode);
    keepFrozenAndNormEval(this, mode, this.cfg.norm_eval, () => this.freezeStages());
    return this;
  }
}

MODELS.register(HRNet);
