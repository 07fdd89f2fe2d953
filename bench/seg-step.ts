// Shared by the segmentor step benchmarks: a seeded random batch in the data loader's format and
// a timed loop of model.trainStep.
import { execFileSync } from 'node:child_process';
import * as torch from '../src/torch/index.js';
import { PYTHON } from '../src/torch/testing/pytorch.js';
import { median } from './fcn-step.js';
import type { BaseModel } from '../src/engine/index.js';

/** n random images (CHW uint8) with labels in 0..numClasses-1, as PackSegInputs + pseudo_collate give them. */
export function segBatch(n: number, size: number, numClasses: number, seed = 1): Record<string, unknown> {
  let s = seed;
  const rnd = (): number => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const inputs = Array.from({ length: n }, () => ({ data: Uint8Array.from({ length: 3 * size * size }, () => Math.floor(rnd() * 256)), shape: [3, size, size] }));
  const data_samples = Array.from({ length: n }, () => ({
    metainfo: { img_shape: [size, size], ori_shape: [size, size] },
    gt_sem_seg: { data: { data: Uint8Array.from({ length: size * size }, () => Math.floor(rnd() * numClasses)), shape: [1, size, size] } },
  }));
  return { inputs, data_samples };
}

/** Milliseconds of each trainStep after `warmup` untimed ones. */
export async function timeTrainSteps(model: BaseModel, wrapper: Parameters<BaseModel['trainStep']>[1], data: Record<string, unknown>,
  steps: number, warmup: number): Promise<number[]> {
  model.train();
  const times: number[] = [];
  for (let i = 0; i < warmup + steps; i++) {
    const t0 = performance.now();
    model.trainStep(data, wrapper);
    if (i >= warmup) times.push(performance.now() - t0);
    await torch.yieldToEventLoop();
  }
  return times;
}

/** ms per step printed (as JSON {"ms": [...]}) by a bench/*_step.py script run with `args`. */
export function pythonStepMs(script: string, args: (string | number)[]): number[] {
  const out = execFileSync(PYTHON, [script, ...args.map(String)]);
  return (JSON.parse(out.toString()) as { ms: number[] }).ms;
}

/** Alternating rounds (PyTorch first, so machine noise hits both alike); median ms of each side. */
export async function alternateRounds(rounds: number, pytorchRound: () => number[], segkitRound: () => Promise<number[]>): Promise<{ segkitMs: number; pytorchMs: number; ratio: number }> {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    theirs.push(...pytorchRound());
    ours.push(...(await segkitRound()));
  }
  const segkitMs = median(ours);
  const pytorchMs = median(theirs);
  return { segkitMs, pytorchMs, ratio: segkitMs / pytorchMs };
}
