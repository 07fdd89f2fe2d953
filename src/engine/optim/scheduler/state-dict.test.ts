import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { SGD, AdamW, type Optimizer } from '../../../torch/optim/index.js';
import {
  buildParamSchedulers, stepEpochSchedulers, stepIterSchedulers, stepValSchedulers,
  LinearLR, MultiStepLR, type OptimizerLike, type ParamScheduler, type SchedulerStateDict,
} from './index.js';
import { sgdLike } from './testing.fixture.js';

// The MMSeg warm-up + poly schedule, shrunk: 15 warm-up iterations, poly to 40.
const WARMUP_POLY = [
  { type: 'LinearLR', start_factor: 1e-6, by_epoch: false, begin: 0, end: 15 },
  { type: 'PolyLR', eta_min: 0, power: 0.9, begin: 15, end: 40, by_epoch: false },
];
const BASE_LR = 6e-5;

const sgd = (): SGD => new SGD([torch.zeros([2]).requiresGrad_(true)], { lr: BASE_LR, momentum: 0.9 });
const lrOf = (o: OptimizerLike): number => o.paramGroups[0]!.lr as number;
/** Checkpoints go through a serializer: keep only what survives JSON. */
const viaJson = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** lr during iterations from..to-1, stepping as ParamSchedulerHook does. */
function run(o: OptimizerLike, schedulers: ParamScheduler[], from: number, to: number): number[] {
  const lrs: number[] = [];
  for (let i = from; i < to; i++) {
    lrs.push(lrOf(o));
    stepIterSchedulers(schedulers);
  }
  return lrs;
}

const uninterrupted = (() => {
  const o = sgd();
  return run(o, buildParamSchedulers(WARMUP_POLY, o), 0, 40);
})();

/** Trains to `at`, then checkpoints optimizer and schedulers as the runner would. */
function checkpointAt(at: number): { optimizer: ReturnType<Optimizer['stateDict']>; schedulers: SchedulerStateDict[] } {
  const o = sgd();
  const schedulers = buildParamSchedulers(WARMUP_POLY, o);
  run(o, schedulers, 0, at);
  return { optimizer: viaJson(o.stateDict()), schedulers: viaJson(schedulers.map((s) => s.stateDict())) };
}

for (const at of [1, 7, 14, 15, 16, 30]) {
  test(`resuming at iteration ${at} continues the exact lr sequence, whichever order the runner loads in`, () => {
    const ckpt = checkpointAt(at);
    // MMEngine >= 0.10.5's order: build schedulers, then load the optimizer, then the schedulers.
    const a = sgd();
    const sa = buildParamSchedulers(WARMUP_POLY, a);
    a.loadStateDict(ckpt.optimizer);
    sa.forEach((s, i) => s.loadStateDict(ckpt.schedulers[i]!));
    assert.deepEqual(run(a, sa, at, 40), uninterrupted.slice(at));
    // The order behind MMEngine issue #1542: optimizer loaded first, then the schedulers built
    // over it (LinearLR's construction step multiplies lr by start_factor once more).
    const b = sgd();
    b.loadStateDict(ckpt.optimizer);
    const sb = buildParamSchedulers(WARMUP_POLY, b);
    sb.forEach((s, i) => s.loadStateDict(ckpt.schedulers[i]!));
    assert.deepEqual(run(b, sb, at, 40), uninterrupted.slice(at));
    // Scheduler state alone, over a fresh optimizer.
    const c = sgd();
    const sc = buildParamSchedulers(WARMUP_POLY, c);
    sc.forEach((s, i) => s.loadStateDict(ckpt.schedulers[i]!));
    assert.deepEqual(run(c, sc, at, 40), uninterrupted.slice(at));
  });
}

test('without group_values (an MMEngine state dict) the #1542 order would rescale lr: the key is what fixes it', () => {
  const ckpt = checkpointAt(7);
  const b = sgd();
  b.loadStateDict(ckpt.optimizer);
  const sb = buildParamSchedulers(WARMUP_POLY, b);
  sb.forEach((s, i) => {
    const { group_values: _dropped, ...mmengineState } = ckpt.schedulers[i]!;
    s.loadStateDict(mmengineState);
  });
  const resumed = run(b, sb, 7, 40);
  assert.ok(Math.abs(resumed[0]! / uninterrupted[7]! - 1e-6) < 1e-9, `lr rescaled by start_factor: ${resumed[0]} vs ${uninterrupted[7]}`);
});

test('state dicts carry MMEngine attribute names', () => {
  const o = sgdLike([0.1]);
  const s = new LinearLR({ start_factor: 0.5, end: 5 }, o);
  s.step();
  assert.deepEqual(s.stateDict(), {
    param_name: 'lr', begin: 0, end: 5, by_epoch: true, base_values: [0.1], last_step: 1, _global_step: 1,
    verbose: false, _last_value: [0.0625], start_factor: 0.5, end_factor: 1, total_iters: 4, group_values: [0.0625],
  });
  const m = new MultiStepLR({ milestones: [2, 4, 4] }, sgdLike([0.1]));
  assert.deepEqual(m.stateDict().milestones, { 2: 1, 4: 2 });
});

test('loading a state for another parameter is refused', () => {
  const o = sgdLike([0.1], 0.9);
  const lr = new LinearLR({ end: 5 }, o);
  const sd = { ...lr.stateDict(), param_name: 'momentum' };
  assert.throws(() => lr.loadStateDict(sd), /state schedules 'momentum' but this scheduler schedules 'lr'/);
  assert.throws(() => lr.loadStateDict({ ...lr.stateDict(), last_step: '3' }), /'last_step' should be a number, got "3"/);
});

const EVERY_FAMILY = [
  { type: 'OneCycleLR', eta_max: 0.01, total_steps: 30, three_phase: true, by_epoch: false },
  { type: 'CosineRestartMomentum', periods: [5, 10], restart_weights: [1, 0.5], eta_min: 0.8, by_epoch: false },
  { type: 'MultiStepLR', milestones: [2, 3, 3], gamma: 0.5, by_epoch: true },
  { type: 'CosineAnnealingLR', T_max: 4, eta_min_ratio: 0.1, begin: 3, end: 20, by_epoch: false },
  { type: 'ReduceOnPlateauLR', monitor: 'mIoU', rule: 'greater', patience: 1, cooldown: 1, factor: 0.5 },
];

test('every family resumes mid-run (AdamW, betas, epoch and val steps) exactly as the uninterrupted run', () => {
  const adam = (): AdamW => new AdamW([torch.zeros([2]).requiresGrad_(true)], { lr: 0.002 });
  const epochLength = 3;
  const miou = [0.3, 0.4, 0.4, 0.4, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6];
  const trace = (o: AdamW, s: ParamScheduler[], fromIter: number, toIter: number): number[][] => {
    const rows: number[][] = [];
    for (let i = fromIter; i < toIter; i++) {
      const g = o.paramGroups[0]!;
      rows.push([g.lr, g.betas[0], g.betas[1]]);
      stepIterSchedulers(s);
      if ((i + 1) % epochLength === 0) {
        stepEpochSchedulers(s);
        stepValSchedulers(s, { mIoU: miou[(i + 1) / epochLength - 1]! });
      }
    }
    return rows;
  };
  const full = (() => {
    const o = adam();
    return trace(o, buildParamSchedulers(EVERY_FAMILY, o), 0, 30);
  })();
  assert.ok(full.some((r) => r[1] !== full[0]![1]), 'betas[0] is scheduled');
  for (const at of [4, 9, 17]) {
    const o = adam();
    const s = buildParamSchedulers(EVERY_FAMILY, o);
    trace(o, s, 0, at);
    const ckpt = { optimizer: o.stateDict(), schedulers: viaJson(s.map((x) => x.stateDict())) };
    const o2 = adam();
    o2.loadStateDict(ckpt.optimizer);
    const s2 = buildParamSchedulers(EVERY_FAMILY, o2);
    s2.forEach((x, i) => x.loadStateDict(ckpt.schedulers[i]!));
    assert.deepEqual(trace(o2, s2, at, 30), full.slice(at), `resumed at ${at}`);
  }
});
