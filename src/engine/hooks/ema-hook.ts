// EMAHook: keeps an exponential moving average of the weights, evaluates and saves with it (MMEngine's EMAHook).
import { z } from 'zod';
import type { nn, Tensor } from '../../torch/index.js';
import { ConfigError, parseOptions } from '../config/errors.js';
import { BaseAveragedModel, copyValues, pairByName, swapValues } from '../model/averaged-model.js';
import { HOOKS, MODELS } from '../registry/index.js';
import type { Runner } from '../runner/runner.js';
import { Hook, type Checkpoint } from './hook.js';

const emaHookSchema = z.object({
  /** A name in MODELS (or a class) extending BaseAveragedModel. */
  ema_type: z.custom<string | typeof BaseAveragedModel>((v) => typeof v === 'string' || typeof v === 'function',
    { message: 'expected a registered averaged-model name or class' }).default('ExponentialMovingAverage'),
  strict_load: z.boolean().default(false),
  begin_iter: z.number().int().min(0).default(0),
  begin_epoch: z.number().int().min(0).default(0),
  /** The seed document's name for begin_iter (MMEngine itself rejects it); accepted as an alias. */
  start_iters: z.number().int().min(0).optional(),
}).catchall(z.unknown()); // the rest (momentum, update_buffers, gamma, interval, ...) goes to the averaged model

type StateMap = Map<string, Tensor> | Record<string, Tensor>;

const getEntry = (s: StateMap, k: string): Tensor | undefined => (s instanceof Map ? s.get(k) : s[k]);
const setEntry = (s: StateMap, k: string, v: Tensor | undefined): void => {
  if (s instanceof Map) {
    if (v === undefined) s.delete(k);
    else s.set(k, v);
  } else if (v === undefined) {
    delete s[k];
  } else {
    s[k] = v;
  }
};
const keysOf = (s: StateMap): string[] => (s instanceof Map ? [...s.keys()] : Object.keys(s));
const asStateMap = (v: unknown, what: string): StateMap => {
  if (v instanceof Map || (v !== null && typeof v === 'object')) return v as StateMap;
  throw new Error(`EMAHook: the checkpoint's ${what} is ${v === undefined ? 'missing' : typeof v}; expected a state dict`);
};

/** Resolves ema_type to an averaged-model class, or a ConfigError at `ema_type`. */
function resolveEmaType(type: string | typeof BaseAveragedModel): typeof BaseAveragedModel {
  const cls = typeof type === 'function' ? type : MODELS.get(type);
  if (!cls) {
    const near = MODELS.closest(type as string).filter((n) => (MODELS.get(n) as unknown as { prototype: unknown }).prototype instanceof BaseAveragedModel);
    throw new ConfigError(['ema_type'], `'${String(type)}' is not in the MODELS registry${near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : ''}`);
  }
  if (!(cls.prototype instanceof BaseAveragedModel)) {
    throw new ConfigError(['ema_type'], `expected an averaged model (ExponentialMovingAverage, MomentumAnnealingEMA, StochasticWeightAverage, ...), got '${typeof type === 'string' ? type : cls.name}'`);
  }
  return cls as unknown as typeof BaseAveragedModel;
}

/**
 * Updates the averaged copy after every train iteration once `begin_iter` (or `begin_epoch`) is
 * reached (before that the copy just follows the model), swaps the averaged weights into the
 * model for val and test epochs, and saves them as MMEngine does: `ema_state_dict` holds the
 * averaged model (`module.*` + `steps`) with the trained weights swapped in, and `state_dict`
 * the averaged weights, so the checkpoint deploys the EMA model directly.
 */
export class EMAHook extends Hook {
  static override priority: number | string = 'NORMAL';

  readonly emaType: typeof BaseAveragedModel;
  /** Options for the averaged model (the config's keys other than the hook's own). */
  readonly emaOptions: Record<string, unknown>;
  readonly strictLoad: boolean;
  readonly beginIter: number;
  readonly beginEpoch: number;
  readonly enabledByEpoch: boolean;
  srcModel: nn.Module | null = null;
  emaModel: BaseAveragedModel | null = null;

  constructor(options: unknown = {}) {
    super();
    const { ema_type, strict_load, begin_iter, begin_epoch, start_iters, ...emaOptions } = parseOptions(emaHookSchema, options);
    if (start_iters !== undefined && begin_iter !== 0 && start_iters !== begin_iter) {
      throw new ConfigError(['start_iters'], `is an alias of begin_iter; got both (start_iters ${start_iters}, begin_iter ${begin_iter})`);
    }
    const beginIter = start_iters ?? begin_iter;
    if (beginIter !== 0 && begin_epoch !== 0) {
      throw new ConfigError([start_iters !== undefined ? 'start_iters' : 'begin_iter'], `cannot be set together with begin_epoch (${begin_epoch}); set one of them`);
    }
    this.emaType = resolveEmaType(ema_type);
    // Validated now, so a typo fails when the config is built rather than at the first iteration.
    parseOptions(this.emaType.schema, emaOptions);
    this.emaOptions = emaOptions;
    this.strictLoad = strict_load;
    this.beginIter = beginIter;
    this.beginEpoch = begin_epoch;
    this.enabledByEpoch = begin_epoch > 0;
  }

  /** The averaged model, built from runner.model on first use (normally in beforeRun). */
  #ema(runner: Runner): BaseAveragedModel {
    if (this.emaModel === null || this.srcModel !== runner.model) {
      this.emaModel?.dispose(); // a copy of a model this runner no longer trains
      this.srcModel = runner.model;
      this.emaModel = MODELS.build<BaseAveragedModel>({ ...this.emaOptions, type: this.emaType }, { extraArgs: [runner.model] });
    }
    return this.emaModel;
  }

  override beforeRun(runner: Runner): void {
    this.#ema(runner);
  }

  override beforeTrain(runner: Runner): void {
    if (this.enabledByEpoch && this.beginEpoch > runner.maxEpochs) {
      throw new Error(`EMAHook: begin_epoch (${this.beginEpoch}) must be at most max_epochs (${runner.maxEpochs})`);
    }
    if (!this.enabledByEpoch && this.beginIter > runner.maxIters) {
      throw new Error(`EMAHook: begin_iter (${this.beginIter}) must be at most max_iters (${runner.maxIters})`);
    }
  }

  /** Whether averaging has begun at the current iteration (called before the loop advances iter). */
  emaStarted(runner: Runner): boolean {
    return this.enabledByEpoch ? runner.epoch + 1 >= this.beginEpoch : runner.iter + 1 >= this.beginIter;
  }

  override afterTrainIter(runner: Runner): void {
    const ema = this.#ema(runner);
    if (this.emaStarted(runner)) {
      ema.updateParameters(runner.model);
    } else {
      // Until averaging begins the copy tracks the model exactly (its `steps` stays 0).
      copyValues(pairByName([...ema.module.stateDict({ keepVars: true })], [...runner.model.stateDict({ keepVars: true })], 'state entry'));
    }
  }

  override beforeValEpoch(runner: Runner): void {
    this.#swapParameters(runner);
  }

  override afterValEpoch(runner: Runner): void {
    this.#swapParameters(runner);
  }

  override beforeTestEpoch(runner: Runner): void {
    this.#swapParameters(runner);
  }

  override afterTestEpoch(runner: Runner): void {
    this.#swapParameters(runner);
  }

  override beforeSaveCheckpoint(runner: Runner, checkpoint: Checkpoint): void {
    checkpoint.ema_state_dict = this.#ema(runner).stateDict();
    // The averaged weights go under state_dict (what deployment loads); the trained ones under ema_state_dict.
    this.#swapStateDicts(checkpoint);
  }

  override afterLoadCheckpoint(runner: Runner, checkpoint: Checkpoint): void {
    const ema = this.#ema(runner);
    const resuming = Boolean(runner.cfg.resume);
    if ('ema_state_dict' in checkpoint && resuming) {
      this.#swapStateDicts(checkpoint); // back to: state_dict = trained weights, ema_state_dict = averaged
      this.#load(runner, ema, asStateMap(checkpoint.ema_state_dict, 'ema_state_dict'), 'ema_state_dict');
      // segkit's loadCheckpoint loads state_dict into the model before this hook runs (MMEngine after),
      // so the model holds the averaged weights at this point: give it back the trained ones.
      this.#load(runner, runner.model, asStateMap(checkpoint.state_dict, 'state_dict'), 'state_dict', false);
    } else {
      if (resuming) {
        runner.logger.warning('There is no `ema_state_dict` in checkpoint. `EMAHook` will make a copy of `state_dict` as the initial `ema_state_dict`');
      }
      // A bare weights file is its own state dict (as runner/checkpoint.ts's loadCheckpoint reads it).
      const weights = 'state_dict' in checkpoint ? checkpoint.state_dict : checkpoint;
      this.#load(runner, ema.module, asStateMap(weights, 'state_dict'), 'state_dict');
    }
  }

  #load(runner: Runner, target: nn.Module, state: StateMap, what: string, strict = this.strictLoad): void {
    const { missingKeys, unexpectedKeys } = target.loadStateDict(state, { strict });
    if (missingKeys.length) runner.logger.warning(`EMAHook: missing keys in the checkpoint's ${what}: ${missingKeys.join(', ')}`);
    if (unexpectedKeys.length) runner.logger.warning(`EMAHook: unexpected keys in the checkpoint's ${what}: ${unexpectedKeys.join(', ')}`);
  }

  /** Exchanges model and averaged values (parameters, plus buffers with update_buffers), by name. */
  #swapParameters(runner: Runner): void {
    const ema = this.#ema(runner);
    const src = runner.model;
    const pairs = pairByName(ema.module.namedParameters(), src.namedParameters(), 'parameter');
    if (ema.updateBuffers) pairs.push(...pairByName(ema.module.namedBuffers(), src.namedBuffers(), 'buffer'));
    swapValues(pairs);
  }

  /** Swaps `module.<k>` of ema_state_dict with `<k>` of state_dict (the tensors, not their values). */
  #swapStateDicts(checkpoint: Checkpoint): void {
    const model = asStateMap(checkpoint.state_dict, 'state_dict');
    const ema = asStateMap(checkpoint.ema_state_dict, 'ema_state_dict');
    for (const k of keysOf(ema)) {
      if (!k.startsWith('module.')) continue;
      const key = k.slice('module.'.length);
      const tmp = getEntry(ema, k);
      setEntry(ema, k, getEntry(model, key));
      setEntry(model, key, tmp);
    }
  }
}

HOOKS.register(EMAHook);
