// MMSeg's MAE backbone: BEiT's layers with one qkv bias, plus an absolute position embedding.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import { nn, type Tensor } from '../../../torch/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { MODELS } from '../../../engine/registry/index.js';
import { BEiTAttention, BEiTTransformerEncoderLayer, type BEiTLayerOptions } from './beit-layers.js';
import { BEiT, beitCommonShape } from './beit.js';
import { vitDefaultInit } from './vit.js';
import { loadStateNonStrict, pretrainedOf, readPretrainedState } from './pretrained-state.js';

export const maeSchema = z.object(beitCommonShape).strict();
export type MAEOptions = z.input<typeof maeSchema>;

/** BEiT's attention whose relative position table keeps its zero start under every init. */
export class MAEAttention extends BEiTAttention {
  override initWeights(): void {}
}

export class MAETransformerEncoderLayer extends BEiTTransformerEncoderLayer {
  constructor(opts: BEiTLayerOptions) {
    super(opts, (o) => new MAEAttention(o));
  }
}

export class MAE extends BEiT {
  readonly numPatches: number;
  posEmbed: nn.Parameter;

  constructor(options: MAEOptions = {}) {
    const cfg = parseOptions(maeSchema, options);
    super({ ...cfg, qv_bias: false });
    this.numPatches = this.patchShape[0] * this.patchShape[1];
    // Replacing cls_token keeps its slot; pos_embed follows it, as in MMSeg.
    this.clsToken = this.registerParameter('cls_token', torch.zeros([1, 1, this.embedDims]));
    this.posEmbed = this.registerParameter('pos_embed', torch.zeros([1, this.numPatches + 1, this.embedDims]));
  }

  protected override createLayer(opts: BEiTLayerOptions): BEiTTransformerEncoderLayer {
    return new MAETransformerEncoderLayer({ ...opts, bias: true });
  }

  protected override embed(inputs: Tensor): [Tensor, [number, number]] {
    const [x, hw] = super.embed(inputs);
    return [x.add(this.posEmbed), hw];
  }

  /** MAE's fix_init_weight: layer i's attn.proj and ffn.layers.1 weights divided by sqrt(2 (i + 1)). */
  fixInitWeight(): void {
    torch.noGrad(() => {
      for (let i = 0; i < this.layers.length; i++) {
        const layer = this.layers.at(i);
        const s = Math.sqrt(2 * (i + 1));
        (layer.attn as BEiTAttention).proj.weight.div_(s);
        (layer.ffn.layers.at(1) as nn.Linear).weight.div_(s);
      }
    });
  }

  /**
   * As MMSeg's MAE.init_weights: the basic init and fix_init_weight, then Pretrained (so the rescaled
   * projections survive only where the checkpoint has no value); another init_cfg goes through BEiT's
   * init_weights (which redoes the basic init first); none: the default ViT-style init.
   */
  override initWeights(): void {
    this.basicInit();
    this.fixInitWeight();
    const pretrained = pretrainedOf(this.initCfg);
    if (pretrained) {
      const state = this.adaptPretrained(readPretrainedState(pretrained), pretrained.checkpoint);
      loadStateNonStrict(this, state, pretrained.checkpoint);
    } else if (this.initCfg) {
      super.initWeights();
    } else {
      vitDefaultInit(this, [this.clsToken]);
    }
  }

  /** Also resizes a pretrained pos_embed of another (square) grid bicubically, as MMSeg's resize_abs_pos_embed. */
  protected override adaptPretrained(state: Map<string, Tensor>, checkpoint: string): Map<string, Tensor> {
    super.adaptPretrained(state, checkpoint);
    const pe = state.get('pos_embed');
    if (!pe) return state;
    const dims = pe.size(-1);
    const extra = this.posEmbed.size(-2) - this.numPatches;
    const orig = Math.floor(Math.sqrt(pe.size(-2) - extra));
    const size = Math.floor(Math.sqrt(this.numPatches));
    if (orig !== size) {
      const resized = torch.noGrad(() => {
        const grid = pe.slice(1, extra).reshape(-1, orig, orig, dims).permute(0, 3, 1, 2);
        const up = torch.F.interpolate(grid, { size: [size, size], mode: 'bicubic', alignCorners: false });
        return torch.cat([pe.slice(1, 0, extra), up.permute(0, 2, 3, 1).flatten(1, 2)], 1);
      });
      pe.dispose();
      state.set('pos_embed', resized);
    }
    return state;
  }
}

MODELS.register(MAE);
