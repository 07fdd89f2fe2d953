// MMEngine's BaseModel: train/val/test steps around a data preprocessor and a forward
// with modes 'loss' | 'predict' | 'tensor'. Segmentors (src/seg) extend it.
import * as torch from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';

/** A batch as the data loader's collate function produced it (plain data, e.g. {inputs, data_samples}). */
export type DataBatch = Record<string, unknown>;
/** A batch after the data preprocessor: tensors on the model's device. */
export interface PreprocessedBatch {
  inputs: Tensor;
  data_samples?: unknown[];
  [key: string]: unknown;
}
export type ForwardMode = 'loss' | 'predict' | 'tensor';
/** Losses by name; a value may be a list of tensors (summed), as MMEngine's parse_losses allows. */
export type Losses = Record<string, Tensor | Tensor[]>;

/** What train steps need from an optimizer wrapper (src/engine/optim/optim-wrapper). */
export interface StepOptimWrapper {
  optimContext<T>(model: torch.nn.Module, fn: () => T): T;
  updateParams(loss: Tensor): void;
}

export abstract class BaseDataPreprocessor extends torch.nn.Module {
  /** Turns a collated batch into tensors on the model's device; `training` enables augmentations. */
  abstract override forward(data: DataBatch, training?: boolean): PreprocessedBatch;
}

export abstract class BaseModel extends torch.nn.Module {
  abstract readonly dataPreprocessor: BaseDataPreprocessor;

  /** mode 'loss' -> Losses; 'predict' -> data samples with predictions; 'tensor' -> raw outputs. */
  abstract override forward(inputs: Tensor, dataSamples: unknown[] | undefined, mode: ForwardMode): unknown;

  /**
   * One training iteration: preprocess and forward inside the wrapper's context (autocast,
   * gradient-accumulation no-sync), then backward + step through the wrapper. Returns the
   * log variables as numbers (`loss` first), computed from detached values.
   */
  trainStep(data: DataBatch, optimWrapper: StepOptimWrapper): Record<string, number> {
    return torch.tidy(() => {
      const losses = optimWrapper.optimContext(this, () => {
        const batch = this.dataPreprocessor.forward(data, true);
        return this.forward(batch.inputs, batch.data_samples, 'loss') as Losses;
      });
      const { loss, logVars } = this.parseLosses(losses);
      optimWrapper.updateParams(loss);
      return logVars;
    }, 'trainStep');
  }

  /** Predictions for a validation batch (no gradients). */
  valStep(data: DataBatch): unknown[] {
    return torch.tidy(() => torch.noGrad(() => {
      const batch = this.dataPreprocessor.forward(data, false);
      return this.forward(batch.inputs, batch.data_samples, 'predict') as unknown[];
    }), 'valStep');
  }

  testStep(data: DataBatch): unknown[] {
    return this.valStep(data);
  }

  /**
   * MMEngine's parse_losses: each entry is averaged (lists: each averaged then summed); the
   * total loss sums the entries whose key contains 'loss'. Log values are plain numbers.
   */
  parseLosses(losses: Losses): { loss: Tensor; logVars: Record<string, number> } {
    const parts: [string, Tensor][] = [];
    for (const [key, value] of Object.entries(losses)) {
      if (Array.isArray(value)) {
        if (value.length === 0) throw new Error(`${this.className}.parseLosses: '${key}' is an empty list`);
        parts.push([key, value.map((v) => v.mean()).reduce((a, b) => a.add(b))]);
      } else {
        parts.push([key, value.mean()]);
      }
    }
    const lossTerms = parts.filter(([k]) => k.includes('loss')).map(([, v]) => v);
    if (lossTerms.length === 0) throw new Error(`${this.className}.parseLosses: no key containing 'loss' among ${Object.keys(losses).join(', ')}`);
    const loss = lossTerms.reduce((a, b) => a.add(b));
    const logVars: Record<string, number> = { loss: loss.item() };
    for (const [k, v] of parts) logVars[k] = v.item();
    return { loss, logVars };
  }

  /** Applies init_cfg-style initialisation; subclasses override (MMEngine's init_weights). */
  initWeights(): void {}
}
