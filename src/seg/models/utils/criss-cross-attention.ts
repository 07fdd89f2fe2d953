// CrissCrossAttention: MMCV's criss-cross attention (each pixel attends over its row and column), as CCHead uses it.
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { ConfigError } from '../../../engine/config/errors.js';
import { Scale } from './scale.js';

/**
 * out = gamma * (column + row aggregation of value_conv(x)) + x, with one softmax over the H + W
 * energies per pixel. The pixel itself appears in both its row and its column, so MMCV masks it
 * (-inf) out of the column energies to count it once. Children in MMCV's order: query_conv,
 * key_conv, value_conv (plain 1x1 convs with bias; query/key have in_channels // 8 outputs), gamma.
 */
export class CrissCrossAttention extends nn.Module {
  readonly inChannels: number;
  readonly query_conv: nn.Conv2d;
  readonly key_conv: nn.Conv2d;
  readonly value_conv: nn.Conv2d;
  readonly gamma: Scale;

  constructor(inChannels: number) {
    super();
    // MMCV builds Conv2d(in, in // 8): fewer than 8 channels would give a zero-width projection.
    if (!Number.isInteger(inChannels) || inChannels < 8) {
      throw new ConfigError(['in_channels'], `CrissCrossAttention needs an integer in_channels >= 8 (query/key use in_channels // 8), got ${inChannels}`);
    }
    this.inChannels = inChannels;
    const inter = Math.floor(inChannels / 8);
    this.query_conv = this.registerModule('query_conv', new nn.Conv2d(inChannels, inter, 1));
    this.key_conv = this.registerModule('key_conv', new nn.Conv2d(inChannels, inter, 1));
    this.value_conv = this.registerModule('value_conv', new nn.Conv2d(inChannels, inChannels, 1));
    // Starts at zero (MMCV's Scale(0.)), so the block begins as the identity.
    this.gamma = this.registerModule('gamma', new Scale(0));
  }

  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const h = x.size(2);
      const q = this.query_conv.forward(x);
      const k = this.key_conv.forward(x);
      const v = this.value_conv.forward(x);
      // Column energies [B, W, H, H'] (query row h vs key row i of the same column), self masked.
      const idx = torch.arange(h, undefined, 1, { device: x.device });
      const self = idx.unsqueeze(1).eq(idx.unsqueeze(0));
      const energyH = q.permute(0, 3, 2, 1).matmul(k.permute(0, 3, 1, 2)).maskedFill(self, -Infinity).transpose(1, 2);
      // Row energies [B, H, W, W'].
      const energyW = q.permute(0, 2, 3, 1).matmul(k.permute(0, 2, 1, 3));
      const attn = F.softmax(torch.cat([energyH, energyW], -1), -1);
      const attnH = attn.narrow(3, 0, h);
      const attnW = attn.narrow(3, h, attn.size(3) - h);
      // [B, W, C, H'] @ [B, W, H', H] -> [B, W, C, H] -> [B, C, H, W].
      const outH = v.permute(0, 3, 1, 2).matmul(attnH.permute(0, 2, 3, 1)).permute(0, 2, 3, 1);
      // [B, H, C, W'] @ [B, H, W', W] -> [B, H, C, W] -> [B, C, H, W].
      const outW = v.permute(0, 2, 1, 3).matmul(attnW.transpose(2, 3)).permute(0, 2, 1, 3);
      return this.gamma.forward(outH.add(outW)).add(x).contiguous();
    });
  }
}
