// Training step of a small FCN (4 x conv3x3-64 + BN + ReLU, 1x1 to 8 classes, bilinear x4,
// cross-entropy, SGD momentum; batch 4x3x128x128) in segkit and in plain PyTorch
// (bench/fcn_step.py, Debian's python3-torch) with the same thread count. Rounds
// alternate between the two so machine noise hits both alike; medians are compared.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import * as F from '../src/torch/functional/index.js';
import { SGD } from '../src/torch/optim/index.js';
import { SmallFCN } from '../src/torch/testing/small-fcn.js';

export interface StepComparison {
  name: string;
  segkitMs: number;
  pytorchMs: number;
  ratio: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const PY_SCRIPT = fileURLToPath(new URL('../../bench/fcn_step.py', import.meta.url));

async function segkitRound(steps: number, warmup: number, batch: number, size: number): Promise<number[]> {
  torch.manualSeed(0);
  const model = new SmallFCN(8);
  const optimizer = new SGD(model.parameters(), { lr: 0.01, momentum: 0.9, weight_decay: 5e-4 });
  const x = torch.keep(torch.randn([batch, 3, size, size]));
  const y = torch.keep(torch.randint(0, 8, [batch, size, size]));
  const times: number[] = [];
  await torch.runSteps(warmup + steps, (i) => {
    const t0 = performance.now();
    optimizer.zeroGrad();
    const loss = F.crossEntropy(model.forward(x), y);
    loss.backward();
    optimizer.step();
    loss.item();
    if (i >= warmup) times.push(performance.now() - t0);
  });
  x.dispose();
  y.dispose();
  optimizer.dispose();
  model.dispose();
  return times;
}

function pytorchRound(steps: number, warmup: number, batch: number, size: number): number[] {
  const out = execFileSync('/usr/bin/python3', [PY_SCRIPT, String(torch.getNumThreads()), String(warmup), String(steps), String(batch), String(size)]);
  return (JSON.parse(out.toString()) as { ms: number[] }).ms;
}

export async function benchFcnStep(opts: { rounds?: number; steps?: number; warmup?: number; batch?: number; size?: number } = {}): Promise<StepComparison> {
  const { rounds = 3, steps = 20, warmup = 5, batch = 4, size = 128 } = opts;
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    theirs.push(...pytorchRound(steps, warmup, batch, size));
    ours.push(...(await segkitRound(steps, warmup, batch, size)));
  }
  const segkitMs = median(ours);
  const pytorchMs = median(theirs);
  return { name: `small FCN train step, batch ${batch}x3x${size}x${size}`, segkitMs, pytorchMs, ratio: segkitMs / pytorchMs };
}
