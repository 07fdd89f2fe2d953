// buildOptimWrapper: turns the `optim_wrapper` config into an OptimWrapper (or OptimWrapperDict), as MMEngine's Runner + build_optim_wrapper.
import type { Module } from '../../../torch/nn/index.js';
import { Optimizer } from '../../../torch/optim/index.js';
import { ConfigError, withKeyPath, type KeyPath } from '../../config/errors.js';
import { OPTIM_WRAPPERS, OPTIM_WRAPPER_CONSTRUCTORS } from '../../registry/index.js';
import { OptimWrapper, OptimWrapperDict } from '../optim-wrapper/index.js';
import { copyPlain } from '../optim-wrapper/copy-plain.js';
import type { OptimLogger, ScalarSink } from '../optim-wrapper/optim-logger.js';
import type { OptimWrapperConstructor } from './default-optim-wrapper-constructor.js';

export interface BuildOptimWrapperOptions {
  /** Where the config sits, for errors (default ['optim_wrapper']). */
  keyPath?: KeyPath;
  /** Receives the constructor's and the wrappers' log lines (the Runner's MMLogger fits). */
  logger?: OptimLogger;
  /** Receives `train/grad_norm` (the Runner's MessageHub fits). */
  messageHub?: ScalarSink;
}

export type AnyOptimWrapper = OptimWrapper | OptimWrapperDict;

const describe = (v: unknown): string => (v === undefined ? 'nothing' : Array.isArray(v) ? 'a list' : typeof v === 'object' && v !== null ? 'an object' : JSON.stringify(v));

function attach(wrapper: AnyOptimWrapper, opts: BuildOptimWrapperOptions): AnyOptimWrapper {
  for (const w of wrapper instanceof OptimWrapperDict ? wrapper.values() : [wrapper]) {
    if (opts.logger) w.logger = opts.logger;
    if (opts.messageHub) w.messageHub = opts.messageHub;
  }
  return wrapper;
}

/**
 * Builds the optimizer wrapper for `model`:
 * - a built OptimWrapper / OptimWrapperDict is returned as is;
 * - `optimizer` holding a built Optimizer: the wrapper is built around it;
 * - `optimizer` as a config, or a `constructor`: the constructor (default
 *   DefaultOptimWrapperConstructor) gets `{optim_wrapper_cfg, paramwise_cfg}` and builds it;
 * - otherwise every value must be a built OptimWrapper, and an OptimWrapperDict holds them.
 *   Configs of several named wrappers need a custom constructor that returns an OptimWrapperDict.
 */
export function buildOptimWrapper(model: Module, cfg: unknown, opts: BuildOptimWrapperOptions = {}): AnyOptimWrapper {
  const keyPath = opts.keyPath ?? ['optim_wrapper'];
  if (cfg instanceof OptimWrapper || cfg instanceof OptimWrapperDict) return attach(cfg, opts);
  if (cfg === null || typeof cfg !== 'object' || Array.isArray(cfg)) {
    throw new ConfigError(keyPath, `expected an object such as {type: 'OptimWrapper', optimizer: {type: 'SGD', lr: 0.01}}, got ${describe(cfg)}`);
  }
  const config = cfg as Record<string, unknown>;
  // `constructor` is an own key or absent: every JS object inherits one from its prototype.
  const hasConstructor = Object.hasOwn(config, 'constructor');
  if (config.optimizer instanceof Optimizer) {
    return attach(OPTIM_WRAPPERS.build<OptimWrapper>({ type: 'OptimWrapper', ...config }, { keyPath }), opts);
  }
  if (config.optimizer !== undefined || hasConstructor) {
    const { paramwise_cfg: paramwiseCfg, ...rest } = config;
    const optimWrapperCfg: Record<string, unknown> = copyPlain(Object.fromEntries(Object.entries(rest).filter(([k]) => k !== 'constructor')));
    const type = hasConstructor ? config.constructor : 'DefaultOptimWrapperConstructor';
    const Ctor = withKeyPath([...keyPath, 'constructor'], () => {
      try {
        return OPTIM_WRAPPER_CONSTRUCTORS.resolve(type);
      } catch (err) {
        // resolve() names the key 'type'; here the key is `constructor` itself.
        if (err instanceof ConfigError) throw new ConfigError([], err.detail);
        throw err;
      }
    });
    const constructor = withKeyPath(keyPath, () => new Ctor(
      { optim_wrapper_cfg: optimWrapperCfg, paramwise_cfg: paramwiseCfg === undefined ? null : copyPlain(paramwiseCfg) },
      { logger: opts.logger },
    )) as OptimWrapperConstructor;
    if (typeof constructor?.build !== 'function') {
      throw new ConfigError([...keyPath, 'constructor'], `'${String(type)}' has no build(model) method, so it is not an optimizer wrapper constructor`);
    }
    const wrapper = withKeyPath(keyPath, () => constructor.build(model));
    if (!(wrapper instanceof OptimWrapper || wrapper instanceof OptimWrapperDict)) {
      throw new ConfigError([...keyPath, 'constructor'], `'${String(type)}'.build(model) returned ${describe(wrapper)}, not an OptimWrapper or OptimWrapperDict`);
    }
    return attach(wrapper, opts);
  }
  const wrappers: Record<string, OptimWrapper> = {};
  for (const [name, value] of Object.entries(config)) {
    if (!(value instanceof OptimWrapper)) {
      throw new ConfigError([...keyPath, name],
        `expected a built OptimWrapper, got ${describe(value)}: an optim_wrapper with neither 'optimizer' nor 'constructor' must map names to built wrappers; `
        + 'to build several named optimizers from configs, set a constructor that returns an OptimWrapperDict (as MMEngine)');
    }
    wrappers[name] = value;
  }
  return attach(new OptimWrapperDict(wrappers), opts);
}
