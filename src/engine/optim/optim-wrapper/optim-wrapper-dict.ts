// OptimWrapperDict: named optimizer wrappers for models trained with several optimizers (GANs), as MMEngine's.
//
// Which wrapper a loss belongs to is the model's decision, so updateParams, backward, step
// and optimContext are called on the member wrappers, never on the dict.
import type { Module } from '../../../torch/nn/index.js';
import type { ParamGroup } from '../../../torch/optim/index.js';
import { OptimWrapper, type OptimWrapperState } from './optim-wrapper.js';

const perWrapper = (method: string): Error =>
  new Error(`OptimWrapperDict.${method}: call ${method} on one of its wrappers (optimWrapper.get(name).${method}); the dict does not know which optimizer a loss belongs to`);

export class OptimWrapperDict {
  readonly #wrappers: Map<string, OptimWrapper>;

  constructor(wrappers: Record<string, OptimWrapper>) {
    for (const [name, w] of Object.entries(wrappers)) {
      if (!(w instanceof OptimWrapper)) throw new TypeError(`OptimWrapperDict: '${name}' must be an OptimWrapper, got ${w === null ? 'null' : typeof w}`);
    }
    this.#wrappers = new Map(Object.entries(wrappers));
  }

  get(name: string): OptimWrapper {
    const w = this.#wrappers.get(name);
    if (!w) throw new RangeError(`OptimWrapperDict: no wrapper named '${name}' (have ${[...this.#wrappers.keys()].join(', ') || 'none'}); check your optimizer constructor`);
    return w;
  }

  has(name: string): boolean {
    return this.#wrappers.has(name);
  }

  get size(): number {
    return this.#wrappers.size;
  }

  keys(): string[] {
    return [...this.#wrappers.keys()];
  }

  values(): OptimWrapper[] {
    return [...this.#wrappers.values()];
  }

  entries(): [string, OptimWrapper][] {
    return [...this.#wrappers.entries()];
  }

  updateParams(): never {
    throw perWrapper('updateParams');
  }

  backward(): never {
    throw perWrapper('backward');
  }

  step(): never {
    throw perWrapper('step');
  }

  optimContext(): never {
    throw perWrapper('optimContext');
  }

  zeroGrad(): void {
    for (const w of this.#wrappers.values()) w.zeroGrad();
  }

  /** Each wrapper is initialised by whoever knows which model part it trains; nothing to do here (as MMEngine). */
  initializeCountStatus(_model: Module, _initCounts: number, _maxCounts: number): void {}

  /** Param groups by wrapper name. */
  get paramGroups(): Record<string, ParamGroup[]> {
    return Object.fromEntries([...this.#wrappers].map(([n, w]) => [n, w.paramGroups]));
  }

  /** `{name}.lr` (and `{name}.base_lr`) per wrapper. */
  getLr(): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const [name, w] of this.#wrappers) {
      const lr = w.getLr();
      if (lr.base_lr) out[`${name}.base_lr`] = lr.base_lr;
      out[`${name}.lr`] = lr.lr;
    }
    return out;
  }

  /** `{name}.momentum` per wrapper. */
  getMomentum(): Record<string, number[]> {
    return Object.fromEntries([...this.#wrappers].map(([n, w]) => [`${n}.momentum`, w.getMomentum().momentum]));
  }

  stateDict(): Record<string, OptimWrapperState> {
    return Object.fromEntries([...this.#wrappers].map(([n, w]) => [n, w.stateDict()]));
  }

  loadStateDict(sd: Record<string, OptimWrapperState>): void {
    for (const name of Object.keys(sd)) {
      if (!this.#wrappers.has(name)) throw new RangeError(`OptimWrapperDict.loadStateDict: the state dict has '${name}', which is not one of ${this.keys().join(', ')}`);
    }
    for (const [name, state] of Object.entries(sd)) this.#wrappers.get(name)!.loadStateDict(state);
  }

  toString(): string {
    return [...this.#wrappers].map(([n, w]) => `name: ${n}\n${w.toString()}`).join('\n');
  }
}
