// MMEngine's PretrainedInit: loads a segkit .ckpt or a PyTorch .pth (MMSeg, mmpretrain, timm)
// into a module, optionally only the keys under a prefix, non-strictly.
import type { Tensor } from '../../../torch/index.js';
import * as torch from '../../../torch/index.js';
import type * as nn from '../../../torch/nn/index.js';
import { loadCheckpointFile } from '../../../engine/runner/checkpoint-file.js';
import { loadWeightsInto, weightsOf } from '../../../engine/runner/checkpoint.js';
import { printLog } from '../../../engine/logging/logger.js';

export interface PretrainedOptions {
  checkpoint: string;
  /** Only keys starting with this prefix are loaded, with the prefix removed ('backbone.'). */
  prefix?: string | null;
  map_location?: string;
}

export interface PretrainedLoadReport {
  loaded: string[];
  missingKeys: string[];
  unexpectedKeys: string[];
  /** Keys whose shapes differ from the module's (skipped, as MMEngine's load_state_dict does). */
  mismatchedKeys: string[];
}

/**
 * The checkpoint's weights: its `state_dict` entry if it has one, else the whole file (a bare
 * state dict), with a leading 'module.' removed. Reads segkit .ckpt and PyTorch .pth alike.
 */
export function readStateDict(file: string, mapLocation = 'cpu'): Map<string, Tensor> {
  const ckpt = loadCheckpointFile(file, { device: mapLocation });
  const weights = weightsOf(ckpt, file);
  // Everything else the file held (optimizer state, EMA copies) is not needed here.
  if (ckpt.state_dict !== undefined) torch.dispose(Object.entries(ckpt).filter(([k]) => k !== 'state_dict').map(([, v]) => v));
  return weights;
}

/**
 * Loads `opts.checkpoint` into `module` as MMEngine's PretrainedInit: with a prefix only the
 * keys under it (prefix stripped; an error if there are none), otherwise every key. Missing,
 * unexpected and mis-shaped keys are reported in one warning, not fatal.
 */
export function loadPretrained(module: nn.Module, opts: PretrainedOptions): PretrainedLoadReport {
  const all = readStateDict(opts.checkpoint, opts.map_location ?? 'cpu');
  let selected = all;
  let prefix = opts.prefix ?? null;
  if (prefix !== null) {
    if (!prefix.endsWith('.')) prefix += '.';
    selected = new Map();
    for (const [k, v] of all) if (k.startsWith(prefix)) selected.set(k.slice(prefix.length), v);
    if (selected.size === 0) {
      torch.dispose([...all.values()]);
      throw new Error(`${opts.checkpoint}: no key starts with '${prefix}' (init_cfg Pretrained prefix)`);
    }
    printLog(`load ${prefix} in model from: ${opts.checkpoint}`, 'current');
  } else {
    printLog(`load model from: ${opts.checkpoint}`, 'current');
  }
  try {
    const { report, warning } = loadWeightsInto(module, selected, { strict: false });
    if (warning) printLog(`${opts.checkpoint}: ${warning}`, 'current', 'WARNING');
    return { ...report, mismatchedKeys: report.mismatchedKeys.map((m) => m.key) };
  } finally {
    torch.dispose([...all.values()]);
  }
}
