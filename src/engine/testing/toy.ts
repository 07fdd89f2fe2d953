// A toy regression task for engine tests: a seeded dataset of x -> w.x + b + noise, a
// linear BaseModel and an MSE metric, registered as ToyDataset / ToyModel / ToyMSEMetric.
import * as torch from '../../torch/index.js';
import { Tensor } from '../../torch/index.js';
import { DATASETS, METRICS, MODELS } from '../registry/index.js';
import { BaseModel, type ForwardMode, type Losses } from '../model/base-model.js';
import { BaseDataPreprocessor } from '../model/data-preprocessor.js';
import { BaseMetric } from '../evaluator/metric.js';
import type { DataBatch } from '../model/base-model.js';
import { dataRandom } from '../dataset/random.js';

const TRUE_W = [0.5, -1.5, 2, 0.25];

export interface ToySample {
  inputs: { data: Float32Array; shape: number[] };
  data_samples: { data: Float32Array; shape: number[] };
}

export class ToyDataset {
  readonly length: number;
  readonly metainfo = { classes: ['y'] };
  readonly #noise: boolean;
  readonly #seed: number;

  constructor(options: { size?: number; seed?: number; augment_noise?: boolean } = {}) {
    this.length = options.size ?? 64;
    this.#seed = options.seed ?? 0;
    this.#noise = options.augment_noise ?? false;
  }

  getItem(i: number): ToySample {
    // Deterministic features per index; optional augmentation noise from the data RNG
    // (so resume tests see whether the data random stream is restored).
    let s = (i + 1) * 2654435761 + this.#seed;
    const next = (): number => {
      s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0;
      return s / 2 ** 32 - 0.5;
    };
    const x = Float32Array.from(TRUE_W, () => next() * 2);
    const jitter = this.#noise ? (dataRandom().random() - 0.5) * 0.01 : 0;
    const y = TRUE_W.reduce((acc, w, k) => acc + w * x[k]!, 0.3) + jitter;
    return { inputs: { data: x, shape: [4] }, data_samples: { data: Float32Array.of(y), shape: [1] } };
  }
}
DATASETS.register(ToyDataset);

export class ToyModel extends BaseModel {
  readonly dataPreprocessor: BaseDataPreprocessor;
  readonly linear: torch.nn.Linear;

  constructor(_options: Record<string, unknown> = {}) {
    super();
    this.dataPreprocessor = this.registerModule('data_preprocessor', new BaseDataPreprocessor());
    this.linear = this.registerModule('linear', new torch.nn.Linear(4, 1));
  }

  override forward(inputs: Tensor, dataSamples: unknown[] | undefined, mode: ForwardMode): unknown {
    const pred = this.linear.forward(inputs);
    if (mode === 'tensor') return pred;
    const target = torch.stack(dataSamples as Tensor[]);
    if (mode === 'loss') return { loss: F.mseLoss(pred, target) } satisfies Losses;
    // 'predict': plain numbers, so the metric can keep them after the step's scope ends.
    const p = pred.toArray();
    const t = target.toArray();
    return p.map((v, k) => ({ pred: v, target: t[k]! }));
  }
}
const F = torch.F;
MODELS.register(ToyModel);

export class ToyMSEMetric extends BaseMetric {
  override process(_batch: DataBatch, samples: unknown[]): void {
    for (const s of samples as { pred: number; target: number }[]) this.results.push((s.pred - s.target) ** 2);
  }
  override computeMetrics(results: unknown[]): Record<string, number> {
    const r = results as number[];
    return { mse: r.reduce((a, b) => a + b, 0) / r.length };
  }
}
METRICS.register(ToyMSEMetric);
