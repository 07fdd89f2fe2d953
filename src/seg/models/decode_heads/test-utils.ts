// Shared by the decode-head tests: random weights and batch-norm statistics, and MMSeg's state-dict key names.
import * as torch from '../../../torch/index.js';

export const BN_KEYS = ['weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'];

/** Random parameters (std 0.3) and running statistics, so eval-mode outputs exercise every weight. */
export function randomise(m: torch.nn.Module): void {
  torch.noGrad(() => {
    for (const [, p] of m.namedParameters()) p.copy_(torch.randn(p.shape).mul(0.3));
    for (const [name, b] of m.namedBuffers()) {
      if (name.endsWith('running_mean')) b.copy_(torch.randn(b.shape).mul(0.1));
      if (name.endsWith('running_var')) b.copy_(torch.rand(b.shape).add(0.5));
    }
  });
}

/** A module's state dict as runPyTorch inputs named `${prefix}sd:<key>`. */
export const sdInputs = (m: torch.nn.Module, prefix = ''): Record<string, torch.Tensor> =>
  Object.fromEntries([...m.stateDict()].map(([k, v]) => [`${prefix}sd:${k}`, v]));

/** The state-dict keys of a ConvModule (conv without bias + BN) named `p`. */
export const cmKeys = (p: string): string[] => [`${p}.conv.weight`, ...BN_KEYS.map((k) => `${p}.bn.${k}`)];

/** Python for the PyTorch side: imports and MMSeg's ConvModule as conv (no bias) + BatchNorm + ReLU, named CM. */
export const PY_CONV_MODULE = `
import torch.nn as nn, torch.nn.functional as F
class CM(nn.Module):
    def __init__(s, i, o, k=1, pad=0):
        super().__init__()
        s.conv = nn.Conv2d(i, o, k, padding=pad, bias=False); s.bn = nn.BatchNorm2d(o)
    def forward(s, x): return F.relu(s.bn(s.conv(x)))
`;
