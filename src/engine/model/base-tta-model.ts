// BaseTTAModel: MMEngine's test-time-augmentation wrapper — splits a batch made by TestTimeAug
// (one entry per augmentation) into per-augmentation batches, predicts each with the wrapped
// model and hands the per-sample prediction lists to mergePreds.
import { z } from 'zod';
import * as torch from '../../torch/index.js';
import type { Tensor } from '../../torch/index.js';
import { parseOptions } from '../config/errors.js';
import { MODELS } from '../registry/index.js';
import { BaseModel, type BaseDataPreprocessor, type DataBatch, type ForwardMode } from './base-model.js';

const componentCfg = z.object({ type: z.unknown() }).passthrough();

export const baseTTAModelSchema = z.object({
  /** The tested model: a config (MMSeg's `segkit test --tta` puts `model` here) or a built model. */
  module: z.union([z.instanceof(torch.nn.Module), componentCfg]),
  /** When given, replaces the module config's data_preprocessor (as MMEngine warns). */
  data_preprocessor: z.union([z.instanceof(torch.nn.Module), componentCfg]).nullable().default(null),
}).strict();
export type BaseTTAModelOptions = z.input<typeof baseTTAModelSchema>;

/** What the wrapped model must offer: MMEngine asserts `test_step`. */
export interface TestStepModel extends torch.nn.Module {
  testStep(data: DataBatch): unknown[];
}

const describe = (v: unknown): string => (Array.isArray(v) ? `a list of ${v.length}` : v === null ? 'null' : typeof v === 'object' ? (v.constructor?.name ?? 'object') : typeof v);

/**
 * A collated TestTimeAug batch `{inputs: [[img1_aug1, img2_aug1], [img1_aug2, img2_aug2]],
 * data_samples: [[...], [...]]}` (or a list of such lists) becomes one ordinary batch per
 * augmentation: `[{inputs: [img1_aug1, img2_aug1], data_samples: [...]}, ...]`.
 */
export function splitAugmentations(data: unknown, where = 'BaseTTAModel.testStep'): unknown[] {
  if (Array.isArray(data)) {
    if (data.length === 0 || !Array.isArray(data[0])) throw new TypeError(`${where}: a list batch must hold one list per field, each with one entry per augmentation; got ${describe(data[0])} first`);
    const numAugs = (data[0] as unknown[]).length;
    data.forEach((field, i) => {
      if (!Array.isArray(field) || field.length !== numAugs) throw new TypeError(`${where}: data[${i}] must list ${numAugs} augmentations (as data[0]), got ${describe(field)}`);
    });
    return Array.from({ length: numAugs }, (_, idx) => data.map((field) => (field as unknown[])[idx]));
  }
  if (data === null || typeof data !== 'object') throw new TypeError(`${where}: data given by the data loader should be an object or a list, got ${describe(data)}`);
  const entries = Object.entries(data as Record<string, unknown>);
  if (entries.length === 0) throw new TypeError(`${where}: the batch has no fields`);
  const [firstKey, firstValue] = entries[0]!;
  if (!Array.isArray(firstValue)) {
    throw new TypeError(`${where}: data.${firstKey} must be a list with one entry per augmentation (TestTimeAug in the pipeline, collated by pseudo_collate), got ${describe(firstValue)}`);
  }
  const numAugs = firstValue.length;
  for (const [key, value] of entries) {
    if (!Array.isArray(value) || value.length !== numAugs) throw new TypeError(`${where}: data.${key} must list ${numAugs} augmentations (as data.${firstKey}), got ${describe(value)}`);
  }
  return Array.from({ length: numAugs }, (_, idx) => Object.fromEntries(entries.map(([key, value]) => [key, (value as unknown[])[idx]])));
}

export class BaseTTAModel extends BaseModel {
  /** Its own (MMEngine builds BaseDataPreprocessor for the wrapper); the module keeps its own. */
  readonly dataPreprocessor: BaseDataPreprocessor;
  readonly module: TestStepModel;

  /** Subclasses with options of their own pass a schema extending baseTTAModelSchema. */
  constructor(options: BaseTTAModelOptions, schema: z.ZodType<z.output<typeof baseTTAModelSchema>> = baseTTAModelSchema.strict()) {
    super();
    const o = parseOptions(schema, options);
    this.dataPreprocessor = this.registerModule('data_preprocessor', MODELS.build<BaseDataPreprocessor>({ type: 'BaseDataPreprocessor' }, { keyPath: ['data_preprocessor'] }));
    let module: torch.nn.Module;
    if (o.module instanceof torch.nn.Module) {
      module = o.module;
    } else {
      const cfg: Record<string, unknown> = { ...o.module };
      if (o.data_preprocessor !== null) cfg.data_preprocessor = o.data_preprocessor;
      module = MODELS.build<torch.nn.Module>(cfg, { keyPath: ['module'] });
    }
    if (typeof (module as unknown as Partial<TestStepModel>).testStep !== 'function') {
      throw new TypeError(`${this.className}: module: the wrapped model (${module.className}) must implement testStep`);
    }
    this.module = this.registerModule('module', module as TestStepModel);
  }

  /**
   * Predicts every augmentation's batch with module.testStep, regroups the predictions per
   * sample (`[[s1_aug1, s1_aug2], [s2_aug1, s2_aug2]]`) and merges them. Tensors of the
   * per-augmentation predictions that the merged ones do not keep are freed.
   */
  override testStep(data: DataBatch): unknown[] {
    return torch.tidy(() => {
      const batches = splitAugmentations(data, `${this.className}.testStep`);
      const predictions = batches.map((batch) => this.module.testStep(batch as DataBatch));
      const batchSize = predictions[0]?.length ?? 0;
      predictions.forEach((p, i) => {
        if (p.length !== batchSize) throw new Error(`${this.className}.testStep: augmentation ${i} gave ${p.length} predictions, augmentation 0 gave ${batchSize}`);
      });
      const perSample = Array.from({ length: batchSize }, (_, s) => predictions.map((p) => p[s]));
      return this.mergePreds(perSample);
    }, `${this.className}.testStep`);
  }

  /** As testStep (MMEngine's inherited val_step would reach forward and fail; merging val batches is more useful). */
  override valStep(data: DataBatch): unknown[] {
    return this.testStep(data);
  }

  /** One merged prediction per sample from its list of per-augmentation predictions; subclasses define it. */
  mergePreds(_dataSamplesList: unknown[][]): unknown[] {
    throw new Error(`${this.className}.mergePreds: BaseTTAModel leaves merging to a subclass (e.g. SegTTAModel)`);
  }

  override forward(_inputs: Tensor, _dataSamples: unknown[] | undefined, _mode: ForwardMode): unknown {
    throw new Error(`${this.className}.forward is not called during training or testing; call testStep instead`);
  }

  /**
   * Weights load into the wrapped model under its own names (MMEngine's load_state_dict
   * unwraps a BaseTTAModel), so a checkpoint of the plain model fits.
   */
  override loadStateDict(stateDict: torch.nn.StateDictInput, opts: { strict?: boolean } = {}): torch.nn.LoadStateDictResult {
    return this.module.loadStateDict(stateDict, opts);
  }

  /** Moves through the module's own to() (a segmentor points its preprocessor at the device). */
  override to(target: string | { device?: string; dtype?: torch.DType }): this {
    this.module.to(target);
    this.dataPreprocessor.to(target);
    return this;
  }
}
MODELS.register(BaseTTAModel);
