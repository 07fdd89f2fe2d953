// Scale: MMCV's learnable scalar multiplier (parameter `scale`, a 0-d tensor).
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';

export class Scale extends nn.Module {
  readonly scale: nn.Parameter;

  constructor(scale = 1.0) {
    super();
    this.scale = this.registerParameter('scale', torch.tensor(scale, { dtype: 'float32' }));
  }

  forward(x: Tensor): Tensor {
    return x.mul(this.scale);
  }
}
