// init_cfg options of the transformer backbones, and the Pretrained path for backbones that adapt
// a checkpoint before loading it (ViT resizes pos_embed, BEiT/MAE drop relative_position_index).
import { z } from 'zod';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import type * as nn from '../../../torch/nn/index.js';
import { printLog } from '../../../engine/logging/logger.js';
import { readStateDict, type InitCfg, type InitCfgInput } from '../init/index.js';

const initEntry = z.looseObject({ type: z.string() });
/** `init_cfg`: one initialiser config, a list of them, or null (checked in full by initialize()). */
export const initCfgOption = z.union([initEntry, z.array(initEntry)]).nullable();

export interface PretrainedCfg {
  type: 'Pretrained';
  checkpoint: string;
  prefix?: string | null;
  map_location?: string;
}

/** The single Pretrained entry of an init_cfg, if that is what it is. */
export function pretrainedOf(cfg: InitCfgInput): PretrainedCfg | null {
  if (!cfg || Array.isArray(cfg) || cfg.type !== 'Pretrained') return null;
  if (typeof cfg.checkpoint !== 'string') throw new Error(`init_cfg: a Pretrained entry needs a 'checkpoint' path, got ${JSON.stringify(cfg.checkpoint)}`);
  return cfg as InitCfg & PretrainedCfg;
}

/**
 * The checkpoint's weights (its `state_dict`, or the whole file); with a prefix ('backbone.')
 * only the keys under it, with the prefix cut off, as MMEngine's _load_checkpoint_with_prefix.
 */
export function readPretrainedState(cfg: PretrainedCfg): Map<string, Tensor> {
  const all = readStateDict(cfg.checkpoint, cfg.map_location ?? 'cpu');
  if (!cfg.prefix) return all;
  const prefix = cfg.prefix.endsWith('.') ? cfg.prefix : `${cfg.prefix}.`;
  const picked = new Map<string, Tensor>();
  for (const [k, v] of all) {
    if (k.startsWith(prefix)) picked.set(k.slice(prefix.length), v);
    else v.dispose();
  }
  if (picked.size === 0) throw new Error(`${cfg.checkpoint}: no key starts with '${prefix}' (init_cfg Pretrained prefix)`);
  return picked;
}

/**
 * Loads `state` as MMEngine's load_state_dict(strict=False): entries of another shape are
 * skipped and reported with the missing and unexpected keys in one warning; the state's tensors
 * are disposed afterwards.
 */
export function loadStateNonStrict(module: nn.Module, state: Map<string, Tensor>, source: string): void {
  const own = module.stateDict({ keepVars: true });
  const notes: string[] = [];
  const mismatched = new Set<string>();
  for (const [k, v] of [...state]) {
    const target = own.get(k);
    if (target && target.shape.join() !== v.shape.join()) {
      notes.push(`size mismatch for ${k}: copying a param with shape [${v.shape.join(', ')}] from checkpoint, the shape in current model is [${target.shape.join(', ')}].`);
      mismatched.add(k);
      v.dispose();
      state.delete(k);
    }
  }
  const result = module.loadStateDict(state, { strict: false });
  const missing = result.missingKeys.filter((k) => !mismatched.has(k));
  if (missing.length) notes.push(`missing keys in source state_dict: ${missing.join(', ')}`);
  if (result.unexpectedKeys.length) notes.push(`unexpected key in source state_dict: ${result.unexpectedKeys.join(', ')}`);
  if (notes.length) printLog(`${source}: the model and loaded state dict do not match exactly\n\n${notes.join('\n')}\n`, 'current', 'WARNING');
  torch.dispose([...state.values()]);
}
