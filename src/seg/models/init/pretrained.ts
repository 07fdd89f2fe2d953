// MMEngine's PretrainedInit: loads a segkit checkpoint into a module (optionally only the keys under a prefix), non-strictly.
import type { Tensor } from '../../../torch/index.js';
import * as torch from '../../../torch/index.js';
import type * as nn from '../../../torch/nn/index.js';
import { loadCheckpointFile } from '../../../engine/runner/checkpoint-file.js';
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
  /** Keys whose shapes differ from the module's (skipped, as PyTorch does when not strict). */
  mismatchedKeys: string[];
}

function asStateDict(file: string, value: unknown): Map<string, Tensor> {
  if (value instanceof Map) return value as Map<string, Tensor>;
  if (value !== null && typeof value === 'object') return new Map(Object.entries(value as Record<string, Tensor>));
  throw new Error(`${file}: expected a state dict (a map of tensors), got ${typeof value}`);
}

/** The checkpoint's weights: its `state_dict` entry if it has one, else the whole file. */
export function readStateDict(file: string, mapLocation = 'cpu'): Map<string, Tensor> {
  const ckpt = loadCheckpointFile(file, { device: mapLocation });
  return asStateDict(file, ckpt.state_dict ?? ckpt);
}

/**
 * Loads `opts.checkpoint` into `module` as MMEngine's PretrainedInit: with a prefix only the
 * keys under it (prefix stripped; an error if there are none), otherwise every key with a
 * leading 'module.' removed. Missing, unexpected and mis-shaped keys are logged, not fatal.
 */
export function loadPretrained(module: nn.Module, opts: PretrainedOptions): PretrainedLoadReport {
  const mapLocation = opts.map_location ?? 'cpu';
  const all = readStateDict(opts.checkpoint, mapLocation);
  const selected = new Map<string, Tensor>();
  let prefix = opts.prefix ?? null;
  if (prefix !== null) {
    if (!prefix.endsWith('.')) prefix += '.';
    for (const [k, v] of all) if (k.startsWith(prefix)) selected.set(k.slice(prefix.length), v);
    if (selected.size === 0) throw new Error(`${opts.checkpoint}: no key starts with '${prefix}' (init_cfg Pretrained prefix)`);
    printLog(`load ${prefix} in model from: ${opts.checkpoint}`, 'current');
  } else {
    for (const [k, v] of all) selected.set(k.replace(/^module\./, ''), v);
    printLog(`load model from: ${opts.checkpoint}`, 'current');
  }
  const own = module.stateDict({ keepVars: true });
  const mismatchedKeys: string[] = [];
  const details: string[] = [];
  for (const [k, v] of [...selected]) {
    const target = own.get(k);
    if (!target) continue;
    const a = target.shape;
    const b = v.shape;
    const scalarOk = a.length === 0 && b.length === 1 && b[0] === 1;
    if (!scalarOk && (a.length !== b.length || a.some((d, i) => d !== b[i]))) {
      mismatchedKeys.push(k);
      details.push(`size mismatch for ${k}: copying a param with shape [${b.join(', ')}] from checkpoint, the shape in current model is [${a.join(', ')}].`);
      selected.delete(k);
    }
  }
  const result = module.loadStateDict(selected, { strict: false });
  const missingKeys = result.missingKeys.filter((k) => !mismatchedKeys.includes(k));
  const { unexpectedKeys } = result;
  const loaded = [...selected.keys()].filter((k) => own.has(k));
  if (missingKeys.length) details.push(`missing keys in source state_dict: ${missingKeys.join(', ')}`);
  if (unexpectedKeys.length) details.push(`unexpected key in source state_dict: ${unexpectedKeys.join(', ')}`);
  if (details.length) printLog(`The model and loaded state dict do not match exactly\n\n${details.join('\n')}\n`, 'current', 'WARNING');
  torch.dispose([...all.values()]);
  return { loaded, missingKeys, unexpectedKeys, mismatchedKeys };
}
