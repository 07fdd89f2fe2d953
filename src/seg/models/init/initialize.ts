// MMEngine's `initialize(module, init_cfg)`: the named initialisers (Constant, Xavier, Normal,
// TruncNormal, Uniform, Kaiming, Caffe2Xavier, Pretrained) with `layer` and `override`.
import { z } from 'zod';
import type * as nn from '../../../torch/nn/index.js';
import { ConfigError, parseOptions, type KeyPath } from '../../../engine/config/errors.js';
import {
  biasInitWithProb, caffe2XavierInit, constantInit, kaimingInit, layerNamesOf, normalInit, truncNormalInit, uniformInit, xavierInit,
} from './weight-init.js';
import { loadPretrained } from './pretrained.js';

/** One init_cfg entry: `{ type: 'Kaiming', layer: 'Conv2d', ... }`; `override` re-initialises named children. */
export interface InitCfg {
  type: string;
  layer?: string | string[];
  override?: Record<string, unknown> | Record<string, unknown>[];
  [key: string]: unknown;
}
export type InitCfgInput = InitCfg | InitCfg[] | null | undefined;

const initCfgEntry = z.object({ type: z.string() }).passthrough();
/** An `init_cfg` option in a component's schema: one entry, a list, or null (checked in full when applied). */
export const initCfgSchema = z.union([initCfgEntry, z.array(initCfgEntry)]).nullable().default(null);

const base = {
  bias: z.number().default(0),
  bias_prob: z.number().gt(0).lt(1).optional(),
  layer: z.union([z.string(), z.array(z.string())]).optional(),
};
const INIT_SCHEMAS = {
  Constant: z.object({ ...base, val: z.number() }),
  Xavier: z.object({ ...base, gain: z.number().default(1), distribution: z.enum(['normal', 'uniform']).default('normal') }),
  Normal: z.object({ ...base, mean: z.number().default(0), std: z.number().default(1) }),
  TruncNormal: z.object({ ...base, mean: z.number().default(0), std: z.number().default(1), a: z.number().default(-2), b: z.number().default(2) }),
  Uniform: z.object({ ...base, a: z.number().default(0), b: z.number().default(1) }),
  Kaiming: z.object({
    ...base, a: z.number().default(0), mode: z.enum(['fan_in', 'fan_out']).default('fan_out'),
    nonlinearity: z.enum(['relu', 'leaky_relu', 'linear', 'conv2d', 'sigmoid', 'tanh', 'selu']).default('relu'),
    distribution: z.enum(['normal', 'uniform']).default('normal'),
  }),
  Caffe2Xavier: z.object({ ...base }),
  Pretrained: z.object({ checkpoint: z.string(), prefix: z.string().nullable().default(null), map_location: z.string().default('cpu') }),
} as const;
type InitType = keyof typeof INIT_SCHEMAS;
export const INIT_TYPES = Object.keys(INIT_SCHEMAS) as InitType[];

const typeSchema = z.object({ type: z.enum(INIT_TYPES as [InitType, ...InitType[]]) }).passthrough();

/** MMEngine's _initialize: one initialiser over `module` (every submodule when wholemodule, else those matching `layer`). */
function initializeOne(module: nn.Module, cfg: Record<string, unknown>, wholemodule: boolean, keyPath: KeyPath): void {
  const { type, ...rest } = parseOptions(typeSchema, cfg, keyPath) as { type: InitType } & Record<string, unknown>;
  const schema = INIT_SCHEMAS[type];
  if (type === 'Pretrained') {
    const o = parseOptions(schema.strict(), rest, keyPath) as z.output<typeof INIT_SCHEMAS.Pretrained>;
    loadPretrained(module, o);
    return;
  }
  const o = parseOptions(schema.strict(), rest, keyPath) as Record<string, never> & { bias: number; bias_prob?: number; layer?: string | string[] };
  const bias = o.bias_prob !== undefined ? biasInitWithProb(o.bias_prob) : o.bias;
  const layers = o.layer === undefined ? [] : typeof o.layer === 'string' ? [o.layer] : o.layer;
  const init = (m: nn.Module): void => {
    switch (type) {
      case 'Constant': return constantInit(m, o.val, bias);
      case 'Xavier': return xavierInit(m, o.gain, bias, o.distribution);
      case 'Normal': return normalInit(m, o.mean, o.std, bias);
      case 'TruncNormal': return truncNormalInit(m, o.mean, o.std, o.a, o.b, bias);
      case 'Uniform': return uniformInit(m, o.a, o.b, bias);
      case 'Kaiming': return kaimingInit(m, { a: o.a, mode: o.mode, nonlinearity: o.nonlinearity, bias, distribution: o.distribution });
      case 'Caffe2Xavier': return caffe2XavierInit(m, bias);
    }
  };
  module.apply((m) => {
    if (wholemodule || layerNamesOf(m).some((n) => layers.includes(n))) init(m);
  });
}

/** A direct child by attribute name (MMEngine's getattr), or a dotted descendant. */
function childByName(module: nn.Module, name: string): nn.Module | null {
  const own = module.localState().modules.find(([n]) => n === name);
  if (own) return own[1];
  try {
    return module.getSubmodule(name);
  } catch {
    return null;
  }
}

function initializeOverride(module: nn.Module, override: unknown, cfg: Record<string, unknown>, keyPath: KeyPath): void {
  if (override === null || typeof override !== 'object') {
    throw new ConfigError(keyPath, `expected an object or a list of objects, got ${JSON.stringify(override)}`);
  }
  const list = Array.isArray(override) ? override : [override];
  list.forEach((entry, i) => {
    const at = Array.isArray(override) ? [...keyPath, i] : keyPath;
    const { name, ...args } = entry as Record<string, unknown>;
    if (typeof name !== 'string') throw new ConfigError([...at, 'name'], `override needs the key "name", got ${JSON.stringify(entry)}`);
    // Only a name: the override uses the outer config's initialiser and arguments.
    const used = Object.keys(args).length === 0 ? { ...cfg } : args;
    if (!('type' in used)) throw new ConfigError(at, `override needs a "type" key when it sets arguments, got ${JSON.stringify(entry)}`);
    const target = childByName(module, name);
    if (!target) throw new ConfigError([...at, 'name'], `${module.className} has no child '${name}'`);
    initializeOne(target, used, true, at);
  });
}

/**
 * Initialises `module` by `initCfg` (one entry or a list), as MMEngine's initialize: each
 * entry's initialiser runs on the layers it names, then its `override` entries on named children.
 */
export function initialize(module: nn.Module, initCfg: InitCfgInput, keyPath: KeyPath = ['init_cfg']): void {
  if (initCfg === null || initCfg === undefined) return;
  if (typeof initCfg !== 'object') throw new ConfigError(keyPath, `expected an object or a list of objects, got ${JSON.stringify(initCfg)}`);
  const list = Array.isArray(initCfg) ? initCfg : [initCfg];
  list.forEach((entry, i) => {
    const at = Array.isArray(initCfg) ? [...keyPath, i] : keyPath;
    if (entry === null || typeof entry !== 'object') throw new ConfigError(at, `expected an object with a 'type', got ${JSON.stringify(entry)}`);
    const { override, ...cfg } = entry as InitCfg;
    initializeOne(module, cfg, false, at);
    if (override !== undefined) {
      const { layer: _layer, ...withoutLayer } = cfg;
      initializeOverride(module, override, withoutLayer, [...at, 'override']);
    }
  });
}

/** Whether an init_cfg entry loads a checkpoint (MMEngine runs those after every other initialiser). */
export const isPretrainedCfg = (cfg: InitCfg): boolean => cfg.type === 'Pretrained';
