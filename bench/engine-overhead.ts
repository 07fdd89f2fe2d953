// The engine's own cost per training iteration: a Runner with every default hook (logging every
// 50 iters, PolyLR, a checkpoint interval beyond the run) over a model whose trainStep does no
// tensor work and an in-memory dataset, timed hook-to-hook; target under 0.25 ms per iteration.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import { DATASETS, MODELS } from '../src/engine/registry/index.js';
import { BaseModel, type DataBatch, type StepOptimWrapper } from '../src/engine/model/base-model.js';
import { BaseDataPreprocessor } from '../src/engine/model/data-preprocessor.js';
import { Hook } from '../src/engine/hooks/hook.js';
import { buildRunner, DEFAULT_HOOKS } from '../src/engine/runner/build.js';
import type { Runner } from '../src/engine/runner/runner.js';
import { median } from './fcn-step.js';

export const TARGET_MS_PER_ITER = 0.25;
const LOG_INTERVAL = 50;

/** A model with one tiny real parameter (so the optimizer wrapper has a learning rate) and a step that does nothing. */
export class OverheadStubModel extends BaseModel {
  readonly dataPreprocessor = this.registerModule('data_preprocessor', new BaseDataPreprocessor());
  readonly weight = this.registerParameter('weight', torch.zeros([1]));

  constructor(_options: Record<string, unknown> = {}) {
    super();
  }
  override forward(): unknown {
    throw new Error('OverheadStubModel.forward: the overhead benchmark never runs a forward pass');
  }
  override trainStep(_data: DataBatch, _optimWrapper: StepOptimWrapper): Record<string, number> {
    return { loss: 0.5 };
  }
}
MODELS.register(OverheadStubModel);

/** `size` samples of four floats, made once and served from memory. */
export class OverheadStubDataset {
  readonly length: number;
  readonly metainfo = {};
  readonly #items: { inputs: { data: Float32Array; shape: number[] } }[];

  constructor(options: { size?: number } = {}) {
    this.length = options.size ?? 128;
    this.#items = Array.from({ length: this.length }, (_, i) => ({ inputs: { data: Float32Array.of(i, 1, 2, 3), shape: [4] } }));
  }
  getItem(i: number): { inputs: { data: Float32Array; shape: number[] } } {
    return this.#items[i]!;
  }
}
DATASETS.register(OverheadStubDataset);

/** Records when each train iteration begins; runs first, so the deltas cover every other hook. */
class IterClock extends Hook {
  static override priority = 'HIGHEST';
  readonly starts: number[] = [];
  override beforeTrainIter(): void {
    this.starts.push(performance.now());
  }
  override afterTrain(): void {
    this.starts.push(performance.now());
  }
}

export interface OverheadVariant {
  name: string;
  msPerIterMedian: number;
  msPerIterMean: number;
  msPerIterP99: number;
  msPerIterMax: number;
  /** Mean over the iterations where LoggerHook writes (every LOG_INTERVAL-th); NaN without them. */
  msLoggedIterMean: number;
}

export interface EngineOverheadResult {
  name: string;
  /** Median ms per iteration with every default hook (the figure the target applies to). */
  msPerIter: number;
  msPerIterMean: number;
  iters: number;
  warmup: number;
  targetMs: number;
  withinTarget: boolean;
  /** No hooks at all, every default hook, and each default hook alone on top of none. */
  breakdown: OverheadVariant[];
}

function overheadConfig(workDir: string, iters: number, defaultHooks: Record<string, unknown>): Record<string, unknown> {
  return {
    work_dir: workDir,
    model: { type: 'OverheadStubModel' },
    train_dataloader: {
      batch_size: 2, num_workers: 0, sampler: { type: 'InfiniteSampler', shuffle: true },
      dataset: { type: 'OverheadStubDataset', size: 128 }, collate_fn: { type: 'pseudo_collate' },
    },
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: iters, val_interval: iters + 1 },
    optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 5e-4 } },
    param_scheduler: [{ type: 'PolyLR', eta_min: 1e-4, power: 0.9, begin: 0, end: iters, by_epoch: false }],
    default_hooks: defaultHooks,
    log_processor: { by_epoch: false },
    randomness: { seed: 0 },
  };
}

/** MMSeg's iteration-based default_hooks, with a checkpoint interval beyond the run. */
function segDefaultHooks(iters: number): Record<string, unknown> {
  return {
    runtime_info: { type: 'RuntimeInfoHook' },
    timer: { type: 'IterTimerHook' },
    sampler_seed: { type: 'DistSamplerSeedHook' },
    logger: { type: 'LoggerHook', interval: LOG_INTERVAL, log_metric_by_epoch: false },
    param_scheduler: { type: 'ParamSchedulerHook' },
    checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: iters * 10 },
  };
}

async function timeVariant(name: string, defaultHooks: Record<string, unknown>, iters: number, warmup: number): Promise<OverheadVariant> {
  const workDir = mkdtempSync(join(tmpdir(), 'segkit-overhead-'));
  try {
    const runner: Runner = buildRunner(overheadConfig(workDir, warmup + iters, defaultHooks), { quiet: true });
    const clock = new IterClock();
    runner.registerHook(clock, 0);
    await runner.train();
    const deltas = clock.starts.slice(1).map((t, i) => t - clock.starts[i]!).slice(warmup);
    if (deltas.length !== iters) throw new Error(`${name}: timed ${deltas.length} iterations, expected ${iters}`);
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    const sorted = [...deltas].sort((a, b) => a - b);
    // deltas[j] is iteration warmup + j, from its beforeTrainIter to the next one.
    const logged = deltas.filter((_, j) => (warmup + j + 1) % LOG_INTERVAL === 0);
    return {
      name, msPerIterMedian: median(deltas), msPerIterMean: mean(deltas),
      msPerIterP99: sorted[Math.floor(0.99 * (sorted.length - 1))]!, msPerIterMax: sorted.at(-1)!, msLoggedIterMean: mean(logged),
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

export async function benchEngineOverhead(opts: { iters?: number; warmup?: number; breakdown?: boolean } = {}): Promise<EngineOverheadResult> {
  const { iters = 3000, warmup = 300, breakdown = true } = opts;
  const full = segDefaultHooks(iters + warmup);
  const none = Object.fromEntries(Object.keys(DEFAULT_HOOKS).map((k) => [k, null]));
  const variants: OverheadVariant[] = [];
  // Warm the JIT on the whole path once, untimed.
  await timeVariant('warm-up', full, iters, warmup);
  const all = await timeVariant('all default hooks', full, iters, warmup);
  if (breakdown) {
    variants.push(await timeVariant('no hooks', none, iters, warmup));
    variants.push(all);
    for (const key of Object.keys(full)) {
      variants.push(await timeVariant(`only ${(full[key] as { type: string }).type}`, { ...none, [key]: full[key] }, iters, warmup));
    }
  }
  return {
    name: `engine overhead per iter (stub model, default hooks, ${iters} iters)`,
    msPerIter: all.msPerIterMedian,
    msPerIterMean: all.msPerIterMean,
    iters,
    warmup,
    targetMs: TARGET_MS_PER_ITER,
    withinTarget: all.msPerIterMedian < TARGET_MS_PER_ITER,
    breakdown: variants,
  };
}

export function formatEngineOverhead(r: EngineOverheadResult): string {
  const lines = [
    `${r.name}: median ${r.msPerIter.toFixed(4)} ms, mean ${r.msPerIterMean.toFixed(4)} ms `
      + `(target < ${r.targetMs} ms: ${r.withinTarget ? 'met' : 'NOT met'})`,
  ];
  const ms = (x: number): string => x.toFixed(4).padStart(8);
  lines.push(`  ${'variant'.padEnd(28)}${'median'.padStart(8)}  ${'mean'.padStart(8)}  ${'p99'.padStart(8)}  ${'max'.padStart(8)}  every ${LOG_INTERVAL}th (ms)`);
  for (const v of r.breakdown) {
    lines.push(`  ${v.name.padEnd(28)}${ms(v.msPerIterMedian)}  ${ms(v.msPerIterMean)}  ${ms(v.msPerIterP99)}  ${ms(v.msPerIterMax)}  ${ms(v.msLoggedIterMean)}`);
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchEngineOverhead();
  console.log(formatEngineOverhead(r));
}
