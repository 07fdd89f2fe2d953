import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ConstantLR, LinearLR, PolyLR, CosineAnnealingLR, CosineRestartLR, ExponentialLR, MultiStepLR, StepLR, OneCycleLR,
  LinearMomentum, CosineAnnealingMomentum, StepMomentum, PolyMomentum, LinearParamScheduler,
  type ParamScheduler, type OptimizerLike,
} from './index.js';
import { MMENGINE_VECTORS as V } from './mmengine-vectors.fixture.js';
import { adamLike, assertValues, record, sgdLike } from './testing.fixture.js';

// Cosine values go through Math.cos (fdlibm) where MMEngine used glibc's cos: allow a few ulps.
const COS_TOL = Number(process.env.COS_TOL ?? 1e-14);

const cases: [string, () => [OptimizerLike, ParamScheduler[]], number, string?, number?][] = [
  ['ConstantLR', () => { const o = sgdLike([0.1, 0.01]); return [o, [new ConstantLR({ factor: 0.5, end: 5 }, o)]]; }, 8],
  ['LinearLR', () => { const o = sgdLike([0.1, 0.01]); return [o, [new LinearLR({ start_factor: 0.25, end_factor: 0.75, begin: 2, end: 7 }, o)]]; }, 9],
  ['PolyLR', () => { const o = sgdLike([0.1, 0.01]); return [o, [new PolyLR({ power: 0.9, eta_min: 1e-4, end: 10 }, o)]]; }, 11, 'lr', 1e-14],
  ['CosineAnnealingLR', () => { const o = sgdLike([0.1, 0.01]); return [o, [new CosineAnnealingLR({ T_max: 5, eta_min: 0.001 }, o)]]; }, 17, 'lr', COS_TOL],
  ['CosineAnnealingLR_ratio', () => { const o = sgdLike([0.1, 0.01]); return [o, [new CosineAnnealingLR({ eta_min_ratio: 0.1, begin: 1, end: 7 }, o)]]; }, 8, 'lr', COS_TOL],
  ['CosineRestartLR', () => { const o = sgdLike([0.1, 0.01]); return [o, [new CosineRestartLR({ periods: [3, 4], restart_weights: [1, 0.5], eta_min: 0.01 }, o)]]; }, 9, 'lr', COS_TOL],
  ['ExponentialLR', () => { const o = sgdLike([0.1, 0.01]); return [o, [new ExponentialLR({ gamma: 0.9, begin: 1, end: 5 }, o)]]; }, 6],
  ['MultiStepLR', () => { const o = sgdLike([0.1, 0.01]); return [o, [new MultiStepLR({ milestones: [2, 4, 4], gamma: 0.5 }, o)]]; }, 6],
  ['StepLR', () => { const o = sgdLike([0.1, 0.01]); return [o, [new StepLR({ step_size: 3, gamma: 0.5 }, o)]]; }, 8],
  ['OneCycleLR', () => { const o = sgdLike([0.1, 0.01]); return [o, [new OneCycleLR({ eta_max: [0.1, 0.05], total_steps: 10 }, o)]]; }, 9, 'lr', COS_TOL],
  ['OneCycleLR_three_linear', () => {
    const o = sgdLike([0.1]);
    return [o, [new OneCycleLR({ eta_max: 0.2, total_steps: 12, pct_start: 0.25, anneal_strategy: 'linear', three_phase: true, div_factor: 10, final_div_factor: 100 }, o)]];
  }, 11],
  ['LinearMomentum', () => { const o = sgdLike([0.1], 0.9); return [o, [new LinearMomentum({ start_factor: 0.5, end: 4 }, o)]]; }, 5, 'momentum'],
  ['CosineAnnealingMomentum_adam', () => { const o = adamLike([0.1, 0.01]); return [o, [new CosineAnnealingMomentum({ T_max: 4, eta_min: 0.85, end: 4 }, o)]]; }, 5, 'betas', COS_TOL],
  ['StepMomentum', () => { const o = sgdLike([0.1], 0.95); return [o, [new StepMomentum({ step_size: 2, gamma: 0.5 }, o)]]; }, 5, 'momentum'],
  ['PolyMomentum', () => { const o = sgdLike([0.1], 0.95); return [o, [new PolyMomentum({ power: 2.0, eta_min: 0.5, end: 5 }, o)]]; }, 5, 'momentum'],
  ['chain_linear_multistep', () => {
    const o = sgdLike([0.1, 0.01]);
    return [o, [new LinearLR({ start_factor: 0.1, end: 4 }, o), new MultiStepLR({ milestones: [3, 6], gamma: 0.1 }, o)]];
  }, 8],
  ['chain_linear_cosine', () => {
    const o = sgdLike([0.1]);
    return [o, [new LinearLR({ start_factor: 0.1, end: 3 }, o), new CosineAnnealingLR({ begin: 3, end: 10, eta_min: 0.0 }, o)]];
  }, 11, 'lr', COS_TOL],
  ['chain_constant_exponential', () => {
    const o = sgdLike([0.1]);
    return [o, [new ConstantLR({ factor: 0.5, end: 3 }, o), new ExponentialLR({ gamma: 0.8 }, o)]];
  }, 5],
];

for (const [name, make, steps, key = 'lr', tol = 0] of cases) {
  test(`${name} gives MMEngine's values step by step${tol ? ' (within ' + tol + ')' : ' exactly'}`, () => {
    const [optimizer, schedulers] = make();
    assertValues(record(optimizer, schedulers, steps, key), V[name], tol, name);
  });
}

test('momentum schedulers over Adam-like groups write betas[0] and keep beta2', () => {
  const o = adamLike([0.1]);
  const s = new LinearMomentum({ start_factor: 0.5, end: 3 }, o);
  assert.deepEqual(o.paramGroups[0]!.betas, [0.45, 0.999]);
  assert.equal(o.paramGroups[0]!.momentum, 0.45);
  assert.equal(o.paramGroups[0]!.initial_momentum, 0.9);
  s.step();
  assert.deepEqual(o.paramGroups[0]!.betas, [0.675, 0.999]);
  assert.throws(() => new LinearMomentum({}, { paramGroups: [{ lr: 0.1 }] }), /must support momentum/);
});

test('initial values are stored in the groups once and reused by later schedulers', () => {
  const o = sgdLike([0.2]);
  new LinearLR({ start_factor: 0.5, end: 4 }, o);
  assert.equal(o.paramGroups[0]!.initial_lr, 0.2);
  assert.equal(o.paramGroups[0]!.lr, 0.1);
  const second = new PolyLR({ begin: 4, end: 8 }, o);
  assert.deepEqual(second.baseValues, [0.2], 'setdefault keeps the first initial_lr');
  assert.deepEqual(second.getLastValue(), [0.1]);
});

test('last_step >= 0 needs initial_<param> in every group (resume without a state dict)', () => {
  assert.throws(() => new LinearLR({ last_step: 3, end: 10 }, sgdLike([0.1])), /last_step: param 'initial_lr' is not specified in param_groups\[0\]/);
  const o = { paramGroups: [{ lr: 0.05, initial_lr: 0.1 }] };
  const s = new LinearLR({ last_step: 3, end: 10, start_factor: 0.5 }, o);
  assert.equal(s.lastStep, 4);
  assert.deepEqual(s.baseValues, [0.1]);
});

test('closed forms agree with the recurrences where the scheduler acts alone', () => {
  const make: [string, (o: OptimizerLike) => ParamScheduler, number][] = [
    ['linear', (o) => new LinearLR({ start_factor: 0.1, end: 12 }, o), 14],
    ['poly', (o) => new PolyLR({ power: 0.9, eta_min: 1e-3, end: 12 }, o), 14],
    ['cosine', (o) => new CosineAnnealingLR({ T_max: 5, eta_min: 1e-3 }, o), 20],
    ['restart', (o) => new CosineRestartLR({ periods: [4, 6], restart_weights: [1, 0.3], eta_min: 1e-3 }, o), 9],
    ['exp', (o) => new ExponentialLR({ gamma: 0.7 }, o), 10],
    ['step', (o) => new StepLR({ step_size: 3 }, o), 10],
    ['multistep', (o) => new MultiStepLR({ milestones: [2, 5, 5] }, o), 8],
    ['constant', (o) => new ConstantLR({ factor: 0.25, end: 6 }, o), 8],
    ['onecycle', (o) => new OneCycleLR({ eta_max: 1, total_steps: 10 }, o), 9],
  ];
  for (const [name, build, steps] of make) {
    const o = sgdLike([0.1, 0.03]);
    const s = build(o);
    for (let i = 0; i <= steps; i++) {
      if (i > 0) s.step();
      const closed = s.closedForm(s.lastStep)!;
      o.paramGroups.forEach((g, k) => assert.ok(Math.abs((g.lr as number) - closed[k]!) <= 1e-12 * Math.abs(closed[k]!) + 1e-18, `${name} step ${i} group ${k}: ${g.lr} vs closed ${closed[k]}`));
    }
  }
});

test('the generic *ParamScheduler classes take param_name; the LR/Momentum ones refuse another', () => {
  const o = sgdLike([0.1], 0.9);
  new LinearParamScheduler({ param_name: 'momentum', start_factor: 0.5, end: 3 }, o);
  assert.equal(o.paramGroups[0]!.momentum, 0.45);
  assert.equal(o.paramGroups[0]!.lr, 0.1);
  assert.throws(() => new LinearParamScheduler({ end: 3 }, o), /param_name: expected string, got nothing/);
  assert.throws(() => new LinearLR({ param_name: 'momentum' }, o), /param_name: LinearLR always schedules 'lr'/);
  assert.throws(() => new OneCycleLR({ param_name: 'momentum' } as never, o), /OneCycle/);
});

test('MMEngine divisions by zero surface as errors, not NaN learning rates', () => {
  const o = sgdLike([0.1]);
  const s = new LinearLR({ start_factor: 0, end: 5 }, o);
  assert.equal(o.paramGroups[0]!.lr, 0);
  assert.throws(() => s.step(), /division by zero at step 1/);
  const c = new OneCycleLR({ eta_max: 0.1, total_steps: 3 }, sgdLike([0.1]));
  for (let i = 0; i < 3; i++) c.step();
  assert.throws(() => c.step(), /tried to step 5 times; the specified number of total steps is 3/);
});

test('verbose prints each update in MMEngine words and number format', (t) => {
  const lines: string[] = [];
  t.mock.method(console, 'info', (msg: string) => lines.push(msg));
  const s = new ExponentialLR({ gamma: 0.5, verbose: true }, sgdLike([0.1]));
  s.step();
  assert.deepEqual(lines, ['Adjusting parameter value of group 0 to 1.0000e-01.', 'Adjusting parameter value of group 0 to 5.0000e-02.']);
});
