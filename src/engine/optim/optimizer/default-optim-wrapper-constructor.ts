// DefaultOptimWrapperConstructor: builds the optimizer and its wrapper from `optim_wrapper`, applying paramwise_cfg as MMEngine 0.10.
import { z } from 'zod';
import type { Tensor } from '../../../torch/index.js';
import { Conv2d, Module } from '../../../torch/nn/index.js';
import type { ParamGroupInput } from '../../../torch/optim/index.js';
import { ConfigError, formatKeyPath, parseOptions, type KeyPath } from '../../config/errors.js';
import { OPTIM_WRAPPERS, OPTIM_WRAPPER_CONSTRUCTORS } from '../../registry/index.js';
import type { OptimWrapper, OptimWrapperDict } from '../optim-wrapper/index.js';
import { copyPlain } from '../optim-wrapper/copy-plain.js';
import { defaultOptimLogger, type OptimLogger } from '../optim-wrapper/optim-logger.js';
import { isDeformConv, isDepthwiseConv, isNormLayer } from './layer-kinds.js';
import { buildOptimizer } from './optimizers.js';

/** What every optimizer wrapper constructor does (MMEngine's `constructor(model)`). */
export interface OptimWrapperConstructor {
  build(model: Module): OptimWrapper | OptimWrapperDict;
}

/** The config options of a constructor, as buildOptimWrapper passes them (MMEngine's names). */
export interface OptimWrapperConstructorOptions {
  /** `optim_wrapper` without `constructor` and `paramwise_cfg`. */
  optim_wrapper_cfg: Record<string, unknown>;
  paramwise_cfg?: Record<string, unknown> | null;
}

/** What the engine hands constructors besides the config (second constructor argument). */
export interface OptimWrapperConstructorContext {
  logger?: OptimLogger;
}

const customKeySchema = z.object({
  lr_mult: z.number().optional(),
  decay_mult: z.number().optional(),
}).catchall(z.unknown());

export const paramwiseCfgSchema = z.object({
  /** Name substring -> options; the longest matching key wins (ties: alphabetical) and excludes every other rule. */
  custom_keys: z.record(z.string(), customKeySchema).optional(),
  bias_lr_mult: z.number().optional(),
  bias_decay_mult: z.number().optional(),
  norm_decay_mult: z.number().optional(),
  dwconv_decay_mult: z.number().optional(),
  flat_decay_mult: z.number().optional(),
  dcn_offset_lr_mult: z.number().optional(),
  bypass_duplicate: z.boolean().optional(),
}).strict();

export type ParamwiseCfg = z.output<typeof paramwiseCfgSchema>;

const DECAY_MULTS = ['bias_decay_mult', 'norm_decay_mult', 'dwconv_decay_mult', 'flat_decay_mult'] as const;

/** Python's len(): code points, so the key order matches MMEngine's for any name. */
const pyLen = (s: string): number => [...s].length;

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? `[${v.map(show).join(', ')}]` : String(v));

/** A DDP-style wrapper's inner model (MMEngine unwraps `model.module`). */
function unwrapModel(model: Module): Module {
  const inner = (model as unknown as { module?: unknown }).module;
  return inner instanceof Module ? inner : model;
}

export class DefaultOptimWrapperConstructor implements OptimWrapperConstructor {
  /** `optim_wrapper_cfg` without `optimizer`. */
  readonly optimWrapperCfg: Record<string, unknown>;
  readonly optimizerCfg: Record<string, unknown>;
  readonly paramwiseCfg: Record<string, unknown>;
  readonly baseLr: number | undefined;
  readonly baseWd: number | undefined;
  protected readonly logger: OptimLogger;
  /** After build(): each custom key and the parameters it was applied to. */
  readonly customKeyMatches = new Map<string, string[]>();
  /** After build(): the custom keys that no parameter took. */
  unmatchedCustomKeys: string[] = [];
  #sortedKeys: string[] = [];
  /** Per custom key: parameter names that contain it, whether or not a longer key won. */
  readonly #keyHits = new Map<string, number>();
  readonly #seen = new Set<Tensor>();

  constructor(options: OptimWrapperConstructorOptions, context: OptimWrapperConstructorContext = {}) {
    const wrapperCfg = options?.optim_wrapper_cfg;
    if (wrapperCfg === null || typeof wrapperCfg !== 'object' || Array.isArray(wrapperCfg)) {
      throw new ConfigError([], `expected an optim_wrapper object such as {type: 'OptimWrapper', optimizer: {...}}, got ${JSON.stringify(wrapperCfg)}`);
    }
    const { optimizer, ...rest } = wrapperCfg;
    if (optimizer === null || typeof optimizer !== 'object' || Array.isArray(optimizer)) {
      throw new ConfigError(['optimizer'], `expected the optimizer config, e.g. {type: 'SGD', lr: 0.01}, got ${optimizer === undefined ? 'nothing' : JSON.stringify(optimizer)}`);
    }
    this.optimWrapperCfg = rest;
    this.optimizerCfg = optimizer as Record<string, unknown>;
    this.logger = context.logger ?? defaultOptimLogger;
    const { lr, weight_decay: wd } = this.optimizerCfg;
    if (lr !== undefined && typeof lr !== 'number') throw new ConfigError(['optimizer', 'lr'], `expected number, got ${JSON.stringify(lr)}`);
    if (wd !== undefined && typeof wd !== 'number') throw new ConfigError(['optimizer', 'weight_decay'], `expected number, got ${JSON.stringify(wd)}`);
    this.baseLr = lr;
    this.baseWd = wd;
    this.paramwiseCfg = this.parseParamwiseCfg(options.paramwise_cfg ?? {});
  }

  /** The schema of paramwise_cfg; subclasses that add options extend it. */
  protected paramwiseSchema(): z.ZodType<Record<string, unknown>> {
    return paramwiseCfgSchema;
  }

  /** Validates paramwise_cfg (MMEngine's _validate_cfg); runs in the constructor, before subclass fields exist. */
  protected parseParamwiseCfg(raw: unknown): Record<string, unknown> {
    const cfg = parseOptions(this.paramwiseSchema(), raw, ['paramwise_cfg']) as ParamwiseCfg;
    if (this.baseWd === undefined) {
      for (const [key, opts] of Object.entries(cfg.custom_keys ?? {})) {
        if (opts.decay_mult !== undefined) {
          throw new ConfigError(['paramwise_cfg', 'custom_keys', key, 'decay_mult'], 'needs optimizer.weight_decay, which it multiplies');
        }
      }
      // MMEngine checks all but flat_decay_mult, which it then ignores silently; segkit checks it too.
      for (const k of DECAY_MULTS) {
        if (cfg[k] !== undefined) throw new ConfigError(['paramwise_cfg', k], 'needs optimizer.weight_decay, which it multiplies');
      }
    }
    this.#sortedKeys = Object.keys(cfg.custom_keys ?? {}).sort().sort((a, b) => pyLen(b) - pyLen(a));
    return cfg;
  }

  /** ForceDefaultOptimWrapperConstructor: apply the default rules on top of a matching custom key. */
  protected get forcesDefaultSettings(): boolean {
    return false;
  }

  /** ForceDefaultOptimWrapperConstructor: frozen parameters join the optimizer (in their own groups) instead of being skipped. */
  protected get keepsFrozenParams(): boolean {
    return false;
  }

  /** Builds the optimizer over the model's parameters (one group per parameter when paramwise_cfg is set) and wraps it. */
  build(model: Module): OptimWrapper | OptimWrapperDict {
    const target = unwrapModel(model);
    this.customKeyMatches.clear();
    this.#keyHits.clear();
    this.#seen.clear();
    let params: Tensor[] | ParamGroupInput[];
    if (Object.keys(this.paramwiseCfg).length === 0) {
      params = target.parameters();
    } else {
      const groups: ParamGroupInput[] = [];
      this.addParams(groups, target);
      this.#warnUnmatchedCustomKeys();
      params = groups;
    }
    const optimizer = buildOptimizer(params, this.optimizerCfg, ['optimizer']);
    return OPTIM_WRAPPERS.build<OptimWrapper>({ type: 'OptimWrapper', ...this.optimWrapperCfg }, { defaultArgs: { optimizer } });
  }

  /** base lr x mult; `by` names the option that needs the base lr. */
  protected scaledLr(mult: number, by: KeyPath): number {
    if (this.baseLr === undefined) throw new ConfigError(['optimizer', 'lr'], `expected a number: ${formatKeyPath(by)} multiplies it`);
    return this.baseLr * mult;
  }

  /** Appends a group, refusing a tensor that is already in one (a parameter shared between modules). */
  protected pushGroup(groups: ParamGroupInput[], group: ParamGroupInput & { params: Tensor[] }, fullName: string): void {
    const param = group.params[0]!;
    if (this.#seen.has(param)) {
      throw new ConfigError(['paramwise_cfg', 'bypass_duplicate'],
        `parameter '${fullName}' is the same tensor as an earlier parameter (shared between modules); set bypass_duplicate: true to add it once`);
    }
    this.#seen.add(param);
    groups.push(group);
  }

  /** The custom key that applies to a parameter (`${prefix}.${name}`, as MMEngine matches), recording the match. */
  #matchCustomKey(matchName: string, fullName: string): string | undefined {
    let chosen: string | undefined;
    for (const key of this.#sortedKeys) {
      if (!matchName.includes(key)) continue;
      this.#keyHits.set(key, (this.#keyHits.get(key) ?? 0) + 1);
      chosen ??= key;
    }
    if (chosen !== undefined) {
      const names = this.customKeyMatches.get(chosen);
      if (names) names.push(fullName);
      else this.customKeyMatches.set(chosen, [fullName]);
    }
    return chosen;
  }

  #warnUnmatchedCustomKeys(): void {
    this.unmatchedCustomKeys = this.#sortedKeys.filter((k) => !this.customKeyMatches.has(k)).sort();
    for (const key of this.unmatchedCustomKeys) {
      const hits = this.#keyHits.get(key) ?? 0;
      this.logger.warning(`paramwise_cfg.custom_keys['${key}'] matched no trainable parameter name`
        + (hits > 0 ? ` (it occurs in ${hits}, but longer keys matched them first)` : ''));
    }
  }

  /** Adds one group per trainable parameter of `module` and its descendants, with the paramwise rules applied. */
  protected addParams(groups: ParamGroupInput[], module: Module, prefix = '', inDeformConv = false): void {
    const cfg = this.paramwiseCfg as ParamwiseCfg;
    const customKeys = cfg.custom_keys ?? {};
    const isNorm = isNormLayer(module);
    const isDwconv = isDepthwiseConv(module);
    for (const [name, param] of module.namedParameters('', false)) {
      const fullName = prefix ? `${prefix}.${name}` : name;
      if (cfg.bypass_duplicate && this.#seen.has(param)) {
        this.logger.warning(`${prefix} is duplicate. It is skipped since bypass_duplicate=True`);
        continue;
      }
      if (!param.requiresGrad) {
        if (this.keepsFrozenParams) this.pushGroup(groups, { params: [param] }, fullName);
        else this.logger.warning(`${fullName} is skipped since its requires_grad=False`);
        continue;
      }
      const group: ParamGroupInput & { params: Tensor[] } = { params: [param] };
      const key = this.#matchCustomKey(`${prefix}.${name}`, fullName);
      if (key !== undefined) {
        const opts = customKeys[key]!;
        group.lr = this.scaledLr(opts.lr_mult ?? 1, ['paramwise_cfg', 'custom_keys', key]);
        if (this.baseWd !== undefined) group.weight_decay = this.baseWd * (opts.decay_mult ?? 1);
        // Every other option of the key is copied into the group too (lr_mult and decay_mult included, as MMEngine).
        Object.assign(group, copyPlain(opts));
      }
      if (key === undefined || this.forcesDefaultSettings) {
        if (name === 'bias' && !(isNorm || inDeformConv) && cfg.bias_lr_mult !== undefined) {
          group.lr = this.scaledLr(cfg.bias_lr_mult, ['paramwise_cfg', 'bias_lr_mult']);
        }
        if (prefix.includes('conv_offset') && inDeformConv && cfg.dcn_offset_lr_mult !== undefined && module instanceof Conv2d) {
          group.lr = this.scaledLr(cfg.dcn_offset_lr_mult, ['paramwise_cfg', 'dcn_offset_lr_mult']);
        }
        if (this.baseWd !== undefined) {
          // Either/or, in this order: a norm layer's bias takes norm_decay_mult, not bias_decay_mult.
          if (isNorm && cfg.norm_decay_mult !== undefined) group.weight_decay = this.baseWd * cfg.norm_decay_mult;
          else if (name === 'bias' && !inDeformConv && cfg.bias_decay_mult !== undefined) group.weight_decay = this.baseWd * cfg.bias_decay_mult;
          else if (isDwconv && cfg.dwconv_decay_mult !== undefined) group.weight_decay = this.baseWd * cfg.dwconv_decay_mult;
          else if (param.ndim === 1 && !inDeformConv && cfg.flat_decay_mult !== undefined) group.weight_decay = this.baseWd * cfg.flat_decay_mult;
        }
      }
      this.pushGroup(groups, group, fullName);
      for (const [k, v] of Object.entries(group)) if (k !== 'params') this.logger.info(`paramwise_options -- ${fullName}:${k}=${show(v)}`);
    }
    const childrenInDeformConv = isDeformConv(module);
    for (const [childName, child] of module.namedChildren()) {
      this.addParams(groups, child, prefix ? `${prefix}.${childName}` : childName, childrenInDeformConv);
    }
  }
}

OPTIM_WRAPPER_CONSTRUCTORS.register(DefaultOptimWrapperConstructor);
