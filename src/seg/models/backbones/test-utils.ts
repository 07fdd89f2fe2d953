// Helpers for the backbone/neck/head tests: random weights, state dicts handed to runPyTorch, name/shape lists.
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import type * as nn from '../../../torch/nn/index.js';

/** Every parameter (and float buffer) redrawn from N(mean, std), so no value sits at its neutral init. */
export function randomizeParameters(module: nn.Module, std = 0.2, mean = 0): void {
  torch.noGrad(() => {
    for (const p of module.parameters()) p.normal_(mean, std);
  });
}

/**
 * The module's state dict as runPyTorch inputs named 'sd.<key>'; the Python side rebuilds it with
 * `sd = {k[3:]: v for k, v in inputs.items() if k.startswith('sd.')}`.
 */
export function stateInputs(module: nn.Module): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of module.stateDict()) out[`sd.${k}`] = v;
  return out;
}

/** Python prelude that collects the 'sd.' inputs into `sd`. */
export const SD_PRELUDE = "sd = {k[3:]: v for k, v in inputs.items() if k.startswith('sd.')}\n";

/** 'name [d0, d1]' lines for every parameter, optionally under a prefix, sorted. */
export function nameShapes(module: nn.Module, prefix = ''): string[] {
  return module.namedParameters().map(([n, p]) => `${prefix}${n} [${p.shape.join(', ')}]`).sort();
}
