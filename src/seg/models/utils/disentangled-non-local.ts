// DisentangledNonLocal2d: DNLNet's non-local block — whitened pairwise term (with temperature) plus a unary mask term.
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { parseOptions } from '../../../engine/config/errors.js';
import { NonLocal2d, nonLocal2dSchema } from './non-local.js';

// No sub_sample: upstream's unary term multiplies a full-resolution mask with the sub-sampled g(x),
// which only works without sub-sampling.
export const disentangledNonLocal2dSchema = nonLocal2dSchema.omit({ sub_sample: true }).extend({
  /** Divides the embedded_gaussian affinities (after the optional sqrt scaling) before the softmax. */
  temperature: z.number().positive().default(0.05),
}).strict();

export type DisentangledNonLocal2dOptions = z.input<typeof disentangledNonLocal2dSchema>;

/**
 * NonLocal2d whose theta / phi embeddings are mean-centred (the whitened pairwise term) and whose
 * output adds a unary term: softmax(conv_mask(x)) pooling of g(x), broadcast over the map.
 * Children: NonLocal2d's (g, conv_out, theta, phi, concat_project), then conv_mask (a plain Conv2d).
 */
export class DisentangledNonLocal2d extends NonLocal2d {
  readonly temperature: number;
  readonly conv_mask: nn.Conv2d;

  constructor(options: DisentangledNonLocal2dOptions) {
    const { temperature, ...rest } = parseOptions(disentangledNonLocal2dSchema, options);
    super({ ...rest, sub_sample: false });
    this.temperature = temperature;
    // Not touched by NonLocal2d.initWeights: keeps PyTorch's default Conv2d init, as upstream.
    this.conv_mask = this.registerModule('conv_mask', new nn.Conv2d(this.inChannels, 1, 1));
  }

  /** MMCV's pairwise functions, with DNL's temperature in embedded_gaussian. */
  private affinity(thetaX: Tensor, phiX: Tensor): Tensor {
    if (this.mode === 'concatenation') {
      const feat = torch.cat([thetaX.repeat(1, 1, 1, phiX.size(3)), phiX.repeat(1, 1, thetaX.size(2), 1)], 1);
      const p = this.concat_project!.forward(feat);
      const [n, , ph, pw] = p.shape as [number, number, number, number];
      return p.view(n, ph, pw).div(pw);
    }
    let w = thetaX.matmul(phiX);
    if (this.mode === 'dot_product') return w.div(w.size(-1));
    if (this.mode === 'embedded_gaussian') {
      if (this.useScale) w = w.div(thetaX.size(-1) ** 0.5);
      w = w.div(this.temperature);
    }
    return F.softmax(w, -1);
  }

  override forward(input: Tensor): Tensor {
    return torch.tidy(() => {
      const [n, c, h, w] = input.shape as [number, number, number, number];
      const ic = this.interChannels;
      const gX = (this.g.forward(input) as Tensor).view(n, ic, -1).permute(0, 2, 1);
      let x = input;
      let thetaX: Tensor;
      let phiX: Tensor;
      if (this.mode === 'gaussian') {
        // Upstream centres theta_x in place, and in this mode theta_x is a view of x: x itself
        // loses its spatial mean, which the phi view, conv_mask and the residual then see.
        x = x.sub(x.view(n, c, -1).mean(-1, { keepdim: true }).view(n, c, 1, 1));
        thetaX = x.view(n, c, -1).permute(0, 2, 1);
        phiX = x.view(n, c, -1);
      } else if (this.mode === 'concatenation') {
        thetaX = this.theta!.forward(x).view(n, ic, -1, 1);
        phiX = (this.phi!.forward(x) as Tensor).view(n, ic, 1, -1);
        thetaX = thetaX.sub(thetaX.mean(-2, { keepdim: true }));
      } else {
        thetaX = this.theta!.forward(x).view(n, ic, -1).permute(0, 2, 1);
        phiX = (this.phi!.forward(x) as Tensor).view(n, ic, -1);
        thetaX = thetaX.sub(thetaX.mean(-2, { keepdim: true }));
      }
      phiX = phiX.sub(phiX.mean(-1, { keepdim: true }));
      const y = this.affinity(thetaX, phiX).matmul(gX).permute(0, 2, 1).contiguous().reshape(n, ic, h, w);
      const mask = F.softmax(this.conv_mask.forward(x).view(n, 1, -1), -1);
      const unary = mask.matmul(gX).permute(0, 2, 1).contiguous().reshape(n, ic, 1, 1);
      return x.add(this.conv_out.forward(y.add(unary)));
    });
  }
}
