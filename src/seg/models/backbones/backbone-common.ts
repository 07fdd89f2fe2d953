// Rules every MMSeg backbone shares: init_cfg and pretrained are exclusive, no activation
// checkpointing in segkit, norm_eval / frozen stages surviving train(), and the trunc-normal
// Linear + unit LayerNorm init of the transformer backbones.
import * as nn from '../../../torch/nn/index.js';
import { ConfigError } from '../../../engine/config/errors.js';

/** MMSeg refuses init_cfg together with pretrained; segkit has no activation checkpointing (with_cp). */
export function checkBackboneInit(cfg: { init_cfg?: unknown; pretrained?: unknown; with_cp?: boolean }): void {
  if (cfg.init_cfg && cfg.pretrained) throw new ConfigError(['pretrained'], 'init_cfg and pretrained cannot be set at the same time');
  if (cfg.with_cp) throw new ConfigError(['with_cp'], 'activation checkpointing (with_cp: true) is not available in segkit; use false');
}

/** After train(mode): re-freezes the frozen stages and, with norm_eval, puts every batch norm back in eval mode. */
export function keepFrozenAndNormEval(module: nn.Module, mode: boolean, normEval: boolean, freeze?: () => void): void {
  freeze?.();
  if (mode && normEval) {
    for (const m of module.modules()) if (m instanceof nn.BatchNormBase) m.eval();
  }
}

/** Trunc-normal (std 0.02) Linear weights with zero biases, unit LayerNorms (MMSeg's Swin/MiT/BEiT default). */
export function truncNormalLinearInit(module: nn.Module): void {
  for (const m of module.modules()) {
    if (m instanceof nn.Linear) {
      nn.init.truncNormal_(m.weight, 0, 0.02);
      if (m.bias) nn.init.zeros_(m.bias);
    } else if (m instanceof nn.LayerNorm) {
      if (m.weight) nn.init.ones_(m.weight);
      if (m.bias) nn.init.zeros_(m.bias);
    }
  }
}
