// Training step of MMSeg's fcn_r18-d8 (ResNetV1c-18 d8, FCNHead + auxiliary FCNHead, 19 classes,
// batch 4x3x128x128, SGD momentum 0.9 wd 5e-4) built from segkit's config against the same network
// written by hand in plain PyTorch (bench/fcn_r18_step.py), same thread count, alternating rounds.
// SEGKIT_BENCH_DEVICE=cuda runs both on the GPU (with SEGKIT_PYTHON naming a CUDA PyTorch).
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import { loadConfig, MODELS, buildOptimWrapper, type BaseModel } from '../src/engine/index.js';
import '../src/seg/index.js';
import { alternateRounds, pythonStepMs, segBatch, timeTrainSteps } from './seg-step.js';
import type { StepComparison } from './fcn-step.js';

const CONFIG = fileURLToPath(new URL('../../configs/fcn/fcn_r18-d8_80k_camvid-160x160.ts', import.meta.url));
const PY_SCRIPT = fileURLToPath(new URL('../../bench/fcn_r18_step.py', import.meta.url));
const NUM_CLASSES = 19;
const DEVICE = process.env.SEGKIT_BENCH_DEVICE ?? 'cpu';


async function segkitRound(steps: number, warmup: number, n: number, size: number): Promise<number[]> {
  const cfg = structuredClone((await loadConfig(CONFIG)).dict) as Record<string, any>;
  cfg.model.data_preprocessor = { ...cfg.model.data_preprocessor, size: [size, size] };
  cfg.model.decode_head.num_classes = NUM_CLASSES;
  cfg.model.auxiliary_head.num_classes = NUM_CLASSES;
  torch.manualSeed(0);
  const model = MODELS.build<BaseModel>(cfg.model, { keyPath: ['model'] });
  model.initWeights();
  if (DEVICE !== 'cpu') model.to(DEVICE);
  const wrapper = buildOptimWrapper(model, { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 5e-4 } }) as unknown as Parameters<BaseModel['trainStep']>[1];
  const data = segBatch(n, size, NUM_CLASSES);
  return timeTrainSteps(model, wrapper, data, steps, warmup);
}

export async function benchFcnR18Step(opts: { rounds?: number; steps?: number; warmup?: number; batch?: number; size?: number } = {}): Promise<StepComparison> {
  const { rounds = 3, steps = 8, warmup = 2, batch: n = 4, size = 128 } = opts;
  const r = await alternateRounds(rounds,
    () => pythonStepMs(PY_SCRIPT, [torch.getNumThreads(), warmup, steps, n, size, NUM_CLASSES, DEVICE]),
    () => segkitRound(steps, warmup, n, size));
  return { name: `fcn_r18-d8 train step (FCN + aux head, ${NUM_CLASSES} classes), batch ${n}x3x${size}x${size}${DEVICE === 'cpu' ? '' : `, ${DEVICE}`}`, ...r };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchFcnR18Step();
  console.log(`${r.name}: segkit ${r.segkitMs.toFixed(1)} ms, PyTorch ${r.pytorchMs.toFixed(1)} ms, ratio ${r.ratio.toFixed(3)} (acceptance <= 1.10)`);
}
