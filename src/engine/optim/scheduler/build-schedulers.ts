// Builds param schedulers from `param_scheduler` configs as MMEngine's runner does: default `end`
// from the train loop, `convert_to_iter_based` (build_iter_from_epoch), key-path errors.
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { ConfigError, parseOptions, withKeyPath, type KeyPath } from '../../config/errors.js';
import { ParamScheduler, type CommonOptions, type OptimizerLike, type SchedulerClass } from './param-scheduler.js';
import './families.js';

export interface BuildSchedulersOptions {
  /** Iterations per epoch (len(train_dataloader)): needed by `convert_to_iter_based`. */
  epochLength?: number;
  /** Where the config sits, for errors (default ['param_scheduler']). */
  keyPath?: KeyPath;
  /** The train loop's max epochs: the default `end` of by_epoch schedulers. */
  maxEpochs?: number;
  /** The train loop's max iterations: the default `end` of iter-based schedulers. */
  maxIters?: number;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * `param_scheduler` (one config, a list of configs, or already-built schedulers) -> schedulers
 * over `optimizer`, in config order (the order they step in).
 */
export function buildParamSchedulers(cfg: unknown, optimizer: OptimizerLike, opts: BuildSchedulersOptions = {}): ParamScheduler[] {
  const keyPath = opts.keyPath ?? ['param_scheduler'];
  if (Array.isArray(cfg)) return cfg.map((item, i) => buildOne(item, optimizer, opts, [...keyPath, i]));
  return [buildOne(cfg, optimizer, opts, keyPath)];
}

function buildOne(item: unknown, optimizer: OptimizerLike, opts: BuildSchedulersOptions, keyPath: KeyPath): ParamScheduler {
  if (item instanceof ParamScheduler) return item;
  if (!isPlainObject(item)) {
    throw new ConfigError(keyPath, `expected a scheduler config object with a 'type' or a built scheduler, got ${Array.isArray(item) ? 'a list' : JSON.stringify(item)}`);
  }
  const { convert_to_iter_based: convert = false, epoch_length: cfgEpochLength, ...cfg } = item;
  if (typeof convert !== 'boolean') throw new ConfigError([...keyPath, 'convert_to_iter_based'], `expected boolean, got ${JSON.stringify(convert)}`);
  // As MMEngine's runner: an unset `end` is the train loop's length in the scheduler's unit.
  if (cfg.end === undefined) {
    const defaultEnd = cfg.by_epoch === false ? opts.maxIters : opts.maxEpochs;
    if (defaultEnd !== undefined) cfg.end = defaultEnd;
  }
  if (!convert) return PARAM_SCHEDULERS.build<ParamScheduler>(cfg, { keyPath, extraArgs: [optimizer] });

  const cls = PARAM_SCHEDULERS.resolve(cfg.type, keyPath) as unknown as SchedulerClass;
  const epochLength = cfgEpochLength ?? opts.epochLength;
  if (typeof epochLength !== 'number' || !Number.isInteger(epochLength) || epochLength <= 0) {
    throw new ConfigError([...keyPath, 'convert_to_iter_based'],
      `converting epochs to iterations needs the epoch length (iterations per epoch of the train dataloader) as a positive integer, got ${epochLength === undefined ? 'nothing' : JSON.stringify(epochLength)}`);
  }
  if (cfg.by_epoch === false) {
    throw new ConfigError([...keyPath, 'by_epoch'], 'only epoch-based schedulers (by_epoch=true) can be converted to iter-based, got false');
  }
  if (typeof cls.iterBasedOptions !== 'function' || cls.options === undefined) {
    throw new ConfigError([...keyPath, 'convert_to_iter_based'], `${cls.name} has no iter-based form`);
  }
  const { type: _type, ...options } = cfg;
  return withKeyPath(keyPath, () => {
    const parsed = parseOptions(cls.options, options) as CommonOptions;
    return new cls(cls.iterBasedOptions(parsed, epochLength), optimizer);
  });
}
