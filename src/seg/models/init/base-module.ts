// MMEngine's BaseModule.init_weights: init_cfg on this module, then each child's own initWeights,
// then Pretrained entries last; BaseModule and MMEngine's Sequential/ModuleList carry it.
import * as nn from '../../../torch/nn/index.js';
import { printLog } from '../../../engine/logging/logger.js';
import { initialize, isPretrainedCfg, type InitCfg, type InitCfgInput } from './initialize.js';

/** Modules whose init_weights already ran (MMEngine's `_is_init`); a second call warns and does nothing. */
const initialised = new WeakSet<nn.Module>();

export const isInitialised = (m: nn.Module): boolean => initialised.has(m);

interface WithInitWeights {
  initWeights(): void;
}
const hasInitWeights = (m: nn.Module): m is nn.Module & WithInitWeights =>
  typeof (m as unknown as Partial<WithInitWeights>).initWeights === 'function';

/**
 * MMEngine's BaseModule.init_weights for `module` with `initCfg`: the non-Pretrained entries run
 * on this module; then every direct child that has an initWeights() and was not initialised
 * gets it called (a child without one, such as a plain nn.Sequential, is not entered, as in
 * MMEngine); then the Pretrained entries, so loaded weights win.
 */
export function initWeightsWith(module: nn.Module, initCfg: InitCfgInput): void {
  if (initialised.has(module)) {
    printLog(`init_weights of ${module.className} has been called more than once.`, 'current', 'WARNING');
    return;
  }
  const cfgs: InitCfg[] = initCfg === null || initCfg === undefined ? [] : Array.isArray(initCfg) ? initCfg : [initCfg];
  const pretrained = cfgs.filter(isPretrainedCfg);
  const others = cfgs.filter((c) => !isPretrainedCfg(c));
  if (others.length) initialize(module, others);
  for (const child of module.children()) {
    if (hasInitWeights(child) && !initialised.has(child)) child.initWeights();
  }
  if (pretrained.length) initialize(module, pretrained);
  initialised.add(module);
}

/** A module with MMEngine's init_cfg handling; subclasses pass their `init_cfg` option to super(). */
export abstract class BaseModule extends nn.Module {
  initCfg: InitCfgInput;

  constructor(initCfg: InitCfgInput = null) {
    super();
    this.initCfg = initCfg;
  }

  get isInit(): boolean {
    return initialised.has(this);
  }

  initWeights(): void {
    initWeightsWith(this, this.initCfg);
  }
}

/** MMEngine's Sequential: an nn.Sequential that takes part in init_weights (its children are initialised). */
export class Sequential extends nn.Sequential {
  initCfg: InitCfgInput = null;

  initWeights(): void {
    initWeightsWith(this, this.initCfg);
  }
}

/** MMEngine's ModuleList: an nn.ModuleList that takes part in init_weights. */
export class ModuleList<M extends nn.Module = nn.Module> extends nn.ModuleList<M> {
  initCfg: InitCfgInput = null;

  initWeights(): void {
    initWeightsWith(this, this.initCfg);
  }
}
