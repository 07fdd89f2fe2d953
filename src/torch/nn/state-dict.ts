// state_dict / load_state_dict for Modules: PyTorch's key order, in-place copies, and
// errors that name every missing, unexpected and mis-shaped key.
import type { Tensor } from '../tensor.js';
import { noGrad } from '../autograd.js';
import type { Module } from './module.js';

export type StateDictInput = Map<string, Tensor> | Record<string, Tensor>;

export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

const shapeText = (s: number[]): string => `[${s.join(', ')}]`;
const quoteList = (keys: string[]): string => keys.map((k) => `"${k}"`).join(', ');

/** Every module with its key prefix ('' or 'backbone.'), shared modules once per path as PyTorch. */
function modulesWithPrefix(root: Module, prefix: string): [string, Module][] {
  return root.namedModules('', false).map(([name, m]) => [name ? `${prefix}${name}.` : prefix, m]);
}

export function stateDictOf(root: Module, prefix: string, keepVars: boolean): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [p, m] of modulesWithPrefix(root, prefix)) {
    const local = m.localState();
    for (const [name, t] of local.parameters) if (t) out.set(p + name, keepVars ? t : noGrad(() => t.detach()));
    for (const [name, t, persistent] of local.buffers) if (t && persistent) out.set(p + name, keepVars ? t : noGrad(() => t.detach()));
  }
  return out;
}

export function loadStateDictInto(root: Module, input: StateDictInput, strict: boolean): LoadStateDictResult {
  // A private copy: upgrade hooks may add entries without touching the caller's map.
  const entries = new Map<string, Tensor>(input instanceof Map ? input : Object.entries(input));
  const expected = new Set<string>();
  const missingKeys: string[] = [];
  const errors: string[] = [];
  for (const [prefix, m] of modulesWithPrefix(root, '')) {
    m.upgradeStateDict(prefix, entries);
    const local = m.localState();
    const slots: [string, Tensor | null][] = [...local.parameters, ...local.buffers.filter((b) => b[2]).map(([n, t]) => [n, t] as [string, Tensor | null])];
    for (const [name, target] of slots) {
      if (!target) continue;
      const key = prefix + name;
      expected.add(key);
      const source = entries.get(key);
      if (source === undefined) {
        missingKeys.push(key);
        continue;
      }
      if (typeof source !== 'object' || source === null || !('shape' in source)) {
        errors.push(`While copying the parameter named "${key}", expected a Tensor from the checkpoint but got ${typeof source}`);
        continue;
      }
      const want = target.shape;
      let got = source.shape;
      // Old checkpoints stored scalars as 1-element vectors (PyTorch accepts those too).
      const squeezeScalar = want.length === 0 && got.length === 1 && got[0] === 1;
      if (squeezeScalar) got = [];
      if (got.length !== want.length || got.some((v, i) => v !== want[i])) {
        errors.push(`size mismatch for ${key}: checkpoint ${shapeText(got)}, model ${shapeText(want)}`);
        continue;
      }
      const src = source;
      try {
        noGrad(() => {
          if (squeezeScalar) {
            const s = src.select(0, 0);
            target.copy_(s);
            s.dispose();
          } else {
            target.copy_(src);
          }
        });
      } catch (err) {
        errors.push(`While copying the parameter named "${key}" (model ${shapeText(want)}, checkpoint ${shapeText(got)}): ${(err as Error).message}`);
      }
    }
  }
  const unexpectedKeys = [...entries.keys()].filter((k) => !expected.has(k));
  const head: string[] = [];
  if (strict && missingKeys.length > 0) head.push(`Missing key(s) in state_dict: ${quoteList(missingKeys)}.`);
  if (strict && unexpectedKeys.length > 0) head.push(`Unexpected key(s) in state_dict: ${quoteList(unexpectedKeys)}.`);
  const all = [...head, ...errors];
  if (all.length > 0) throw new Error(`Error(s) in loading state_dict for ${root.className}:\n\t${all.join('\n\t')}`);
  return { missingKeys, unexpectedKeys };
}
