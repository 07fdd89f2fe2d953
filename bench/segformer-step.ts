// Training step of MMSeg's SegFormer MiT-b0 + SegformerHead (11 classes, AdamW with the config's
// paramwise_cfg) built from segkit's config against the same network written in plain PyTorch
// (bench/segformer_step.py), same batch, same thread count, alternating rounds.
// Alone: `node dist/bench/segformer-step.js [batch] [rounds]` (defaults 8 and 3).
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import { loadConfig, MODELS, buildOptimWrapper, type BaseModel } from '../src/engine/index.js';
import '../src/seg/index.js';
import { alternateRounds, pythonStepMs, segBatch, timeTrainSteps } from './seg-step.js';
import type { StepComparison } from './fcn-step.js';

const CONFIG = fileURLToPath(new URL('../../configs/segformer/segformer_mit-b0_40k_camvid-160x160.ts', import.meta.url));
const PY_SCRIPT = fileURLToPath(new URL('../../bench/segformer_step.py', import.meta.url));
const NUM_CLASSES = 11;

async function segkitRound(steps: number, warmup: number, n: number, size: number): Promise<number[]> {
  const cfg = structuredClone((await loadConfig(CONFIG)).dict) as Record<string, any>;
  cfg.model.data_preprocessor = { ...cfg.model.data_preprocessor, size: [size, size] };
  cfg.model.decode_head.num_classes = NUM_CLASSES;
  torch.manualSeed(0);
  const model = MODELS.build<BaseModel>(cfg.model, { keyPath: ['model'] });
  model.initWeights();
  const wrapper = buildOptimWrapper(model, cfg.optim_wrapper) as unknown as Parameters<BaseModel['trainStep']>[1];
  const data = segBatch(n, size, NUM_CLASSES);
  return timeTrainSteps(model, wrapper, data, steps, warmup);
}

export async function benchSegformerStep(opts: { rounds?: number; steps?: number; warmup?: number; batch?: number; size?: number } = {}): Promise<StepComparison> {
  const { rounds = 3, steps = 5, warmup = 2, batch: n = 8, size = 160 } = opts;
  const r = await alternateRounds(rounds,
    () => pythonStepMs(PY_SCRIPT, [torch.getNumThreads(), warmup, steps, n, size, NUM_CLASSES]),
    () => segkitRound(steps, warmup, n, size));
  return { name: `segformer mit-b0 train step (${NUM_CLASSES} classes, AdamW), batch ${n}x3x${size}x${size}`, ...r };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [batch, rounds] = process.argv.slice(2).map(Number);
  const r = await benchSegformerStep({ batch: batch || undefined, rounds: rounds || undefined });
  console.log(`${r.name}: segkit ${r.segkitMs.toFixed(1)} ms, PyTorch ${r.pytorchMs.toFixed(1)} ms, ratio ${r.ratio.toFixed(3)}`);
}
