// The small FCN used by the step benchmark, the memory test and the demo:
// 4 x (conv3x3-64 + BN + ReLU; the first two with stride 2), a 1x1 classifier,
// bilinear x4 upsampling. bench/fcn_step.py is the same network in PyTorch.
import * as nn from '../nn/index.js';
import * as F from '../functional/index.js';
import type { Tensor } from '../tensor.js';

const block = (cin: number, cout: number, stride: number): nn.Sequential =>
  new nn.Sequential(new nn.Conv2d(cin, cout, 3, { stride, padding: 1, bias: false }), new nn.BatchNorm2d(cout), new nn.ReLU({ inplace: true }));

export class SmallFCN extends nn.Module {
  readonly convs: nn.Sequential;
  readonly cls: nn.Conv2d;

  constructor(numClasses = 8, width = 64) {
    super();
    this.convs = this.registerModule('convs', new nn.Sequential(
      block(3, width, 2), block(width, width, 2), block(width, width, 1), block(width, width, 1)));
    this.cls = this.registerModule('cls', new nn.Conv2d(width, numClasses, 1));
  }

  forward(x: Tensor): Tensor {
    return F.interpolate(this.cls.forward(this.convs.forward(x)), { scaleFactor: 4, mode: 'bilinear', alignCorners: false });
  }
}
