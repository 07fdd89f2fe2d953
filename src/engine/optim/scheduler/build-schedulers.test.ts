import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PARAM_SCHEDULERS } from '../../registry/index.js';
import { ConfigError } from '../../config/errors.js';
import {
  buildParamSchedulers, simulateSchedule, stepEpochSchedulers, stepIterSchedulers, stepValSchedulers,
  CosineAnnealingLR, LinearLR, ReduceOnPlateauLR, INF, type ParamScheduler,
} from './index.js';
import { MMENGINE_VECTORS as V } from './mmengine-vectors.fixture.js';
import { adamLike, assertValues, record, sgdLike } from './testing.fixture.js';

const FAMILIES = ['Constant', 'Linear', 'Poly', 'Exponential', 'Step', 'MultiStep', 'CosineAnnealing', 'CosineRestart', 'ReduceOnPlateau'];

test("registers every scheduler under MMEngine's names", () => {
  const expected = [
    ...FAMILIES.flatMap((f) => [`${f}ParamScheduler`, `${f}LR`, `${f}Momentum`]),
    'OneCycleParamScheduler', 'OneCycleLR',
  ];
  buildParamSchedulers([], sgdLike([0.1])); // loads the families
  for (const name of expected) assert.ok(PARAM_SCHEDULERS.has(name), name);
  assert.ok(!PARAM_SCHEDULERS.has('OneCycleMomentum'), 'MMEngine has no OneCycleMomentum');
});

test('builds one config or a list, in order, with scope prefixes and built instances passed through', () => {
  const o = sgdLike([0.1]);
  const built = new CosineAnnealingLR({ T_max: 10, by_epoch: false }, o);
  const s = buildParamSchedulers([{ type: 'mmengine.LinearLR', start_factor: 0.5, end: 3, by_epoch: false }, built], o);
  assert.ok(s[0] instanceof LinearLR);
  assert.equal(s[1], built);
  assert.equal(buildParamSchedulers({ type: 'MultiStepLR', milestones: [1] }, o).length, 1);
});

test("config errors name the key path", () => {
  const o = sgdLike([0.1]);
  const err = (cfg: unknown, re: RegExp, opts = {}): void => {
    assert.throws(() => buildParamSchedulers(cfg, o, opts), (e: unknown) => e instanceof ConfigError && re.test(e.message), `${JSON.stringify(cfg)} -> ${re}`);
  };
  err([{ type: 'LinearLR', end: '10' }], /^param_scheduler\.0\.end: expected number, got "10"$/);
  err([{ type: 'LinearLR', end: 3 }, { type: 'PolyLR', begin: 5, end: 5 }], /^param_scheduler\.1\.end: end should be larger than begin, got begin=5, end=5$/);
  err([{ type: 'LinearLR', start_factor: 2 }], /^param_scheduler\.0\.start_factor: expected a factor between 0 and 1/);
  err([{ type: 'LinearLR', eta_min: 0 }], /^param_scheduler\.0: unknown key 'eta_min'$/);
  err([{ type: 'PolyLRR' }], /^param_scheduler\.0\.type: 'PolyLRR' is not in the PARAM_SCHEDULERS registry; did you mean 'PolyLR'/);
  err({ type: 'StepLR' }, /^param_scheduler\.step_size: expected number, got nothing$/);
  err([{ type: 'CosineRestartLR', periods: [2] }], /^param_scheduler\.0\.eta_min: set exactly one of eta_min and eta_min_ratio/);
  err([{ type: 'CosineAnnealingLR', eta_min: 0, eta_min_ratio: 0.1 }], /^param_scheduler\.0\.eta_min: set exactly one/);
  err([{ type: 'CosineRestartLR', periods: [2, 2], eta_min: 0 }], /^param_scheduler\.0\.restart_weights: periods and restart_weights should have the same length, got 2 and 1$/);
  err([{ type: 'OneCycleLR', eta_max: [0.1, 0.2] }], /^param_scheduler\.0\.eta_max: expected 1 values \(one per param group\), got 2$/);
  err([{ type: 'ReduceOnPlateauLR', factor: 1.0 }], /^param_scheduler\.0\.factor: factor should be < 1.0/);
  err([{ type: 'ReduceOnPlateauLR', by_epoch: false }], /^param_scheduler\.0\.by_epoch: ReduceOnPlateauLR supports only by_epoch=true/);
  err([{ type: 'ReduceOnPlateauLR', min_value: [0, 0] }], /^param_scheduler\.0\.min_value: expected 1 min values/);
  err([{ type: 'LinearLR', convert_to_iter_based: true }], /^param_scheduler\.0\.convert_to_iter_based: converting epochs to iterations needs the epoch length/);
  err([{ type: 'LinearLR', convert_to_iter_based: true, by_epoch: false }], /^param_scheduler\.0\.by_epoch: only epoch-based schedulers/, { epochLength: 5 });
  err([{ type: 'LinearLR', convert_to_iter_based: true, end: 'x' }], /^param_scheduler\.0\.end: expected number, got "x"$/, { epochLength: 5 });
  err([{ type: 'ReduceOnPlateauLR', convert_to_iter_based: true }], /^param_scheduler\.0\.convert_to_iter_based: ReduceOnPlateauLR cannot be converted/, { epochLength: 5 });
  err([{ type: 'LinearLR', convert_to_iter_based: 'yes' }], /^param_scheduler\.0\.convert_to_iter_based: expected boolean/);
  err([42], /^param_scheduler\.0: expected a scheduler config object/);
  assert.throws(() => buildParamSchedulers([{ type: 'LinearLR', end: 0 }], o, { keyPath: ['cfg', 'param_scheduler'] }), /^ConfigError: cfg\.param_scheduler\.0\.end: end should be larger/);
});

test('convert_to_iter_based multiplies begin/end/T_max/milestones/periods/step_size/total_steps by the epoch length (MMEngine values)', () => {
  const cases: [string, object[], number, number][] = [
    ['convert_cosine', [{ type: 'CosineAnnealingLR', T_max: 2, begin: 0, end: 2, eta_min: 0, convert_to_iter_based: true }], 3, 7],
    ['convert_multistep_linear', [
      { type: 'LinearLR', start_factor: 0.5, begin: 0, end: 1, convert_to_iter_based: true },
      { type: 'MultiStepLR', milestones: [1, 2], begin: 0, convert_to_iter_based: true },
    ], 3, 8],
    ['convert_step_onecycle', [{ type: 'OneCycleLR', eta_max: 0.1, total_steps: 2, begin: 0, end: 2, convert_to_iter_based: true }], 4, 7],
    ['convert_restart', [{ type: 'CosineRestartLR', periods: [1, 1], restart_weights: [1, 0.5], eta_min: 0, convert_to_iter_based: true }], 3, 7],
    ['convert_step', [{ type: 'StepLR', step_size: 1, gamma: 0.5, begin: 1, end: 3, convert_to_iter_based: true }], 2, 7],
  ];
  for (const [name, cfg, epochLength, steps] of cases) {
    const o = sgdLike([0.1]);
    const s = buildParamSchedulers(cfg, o, { epochLength });
    assert.ok(s.every((x) => !x.byEpoch), `${name}: converted schedulers are iter-based`);
    assertValues(record(o, s, steps), V[name], 1e-14, name);
  }
  const [c] = buildParamSchedulers([{ type: 'CosineAnnealingLR', T_max: 2, begin: 0.5, end: 3, convert_to_iter_based: true }], sgdLike([0.1]), { epochLength: 5 }) as [CosineAnnealingLR];
  assert.deepEqual([c.begin, c.end, c.tMax, c.byEpoch], [2, 15, 10, false], 'begin is int(0.5 * 5) as in MMEngine');
  const [inf] = buildParamSchedulers({ type: 'ExponentialLR', gamma: 0.9, convert_to_iter_based: true, epoch_length: 4 }, sgdLike([0.1]));
  assert.equal(inf!.end, INF, 'an unset end stays INF; epoch_length may come from the config');
});

test("an unset end defaults to the train loop's max epochs or max iterations (as the runner does)", () => {
  const s = buildParamSchedulers([
    { type: 'LinearLR', by_epoch: false },
    { type: 'MultiStepLR', milestones: [1] },
    { type: 'CosineAnnealingLR', convert_to_iter_based: true },
    { type: 'PolyLR', end: 7 },
  ], sgdLike([0.1]), { maxEpochs: 12, maxIters: 1200, epochLength: 100 });
  assert.deepEqual(s.map((x) => x.end), [1200, 12, 1200, 7]);
  assert.equal((s[2] as CosineAnnealingLR).tMax, 1200, 'T_max defaults to end - begin after conversion');
});

test('ParamSchedulerHook stepping: iter-based after iterations, epoch-based after epochs, metrics to ReduceOnPlateau', () => {
  const o = sgdLike([0.1], 0.9);
  const iterS = new LinearLR({ start_factor: 0.5, end: 3, by_epoch: false }, o);
  const epochS = buildParamSchedulers({ type: 'StepMomentum', step_size: 1, gamma: 0.5 }, o)[0]!;
  const rop = new ReduceOnPlateauLR({ patience: 0, factor: 0.5 }, o);
  const all = { main: [iterS, epochS, rop] };
  const warm = 0.1 * 0.5 * (1 + 0.5 / (2 * 0.5)); // LinearLR's second factor, in MMEngine's float order
  stepIterSchedulers(all);
  assert.deepEqual([o.paramGroups[0]!.lr, o.paramGroups[0]!.momentum], [warm, 0.9]);
  stepEpochSchedulers(all);
  assert.deepEqual([o.paramGroups[0]!.lr, o.paramGroups[0]!.momentum], [warm, 0.45]);
  stepValSchedulers(all, undefined);
  stepValSchedulers(all, { loss: 1 });
  stepValSchedulers(all, { loss: 1 });
  assert.equal(o.paramGroups[0]!.lr, warm * 0.5, 'second val without improvement halves lr');
  assert.throws(() => stepValSchedulers(all, { mIoU: 1 }), /monitor 'loss' is not in the metrics \(got 'mIoU'\)/);
});

const ROP_CASES: [string, () => [ReturnType<typeof sgdLike>, ParamScheduler], string, Record<string, number>[], string][] = [
  ['ROP_less_rel', () => { const o = sgdLike([0.1, 0.01]); return [o, new ReduceOnPlateauLR({ monitor: 'loss', patience: 1, factor: 0.5, cooldown: 1, min_value: [0.02, 0.001] }, o)]; }, 'loss',
    [1.0, 0.9, 0.9, 0.8999, 0.95, 0.95, 0.95, 0.7, 0.7, 0.7, 0.7, 0.7].map((v) => ({ loss: v })), 'lr'],
  ['ROP_less_abs', () => { const o = sgdLike([0.1]); return [o, new ReduceOnPlateauLR({ monitor: 'loss', patience: 0, threshold: 0.05, threshold_rule: 'abs', factor: 0.5 }, o)]; }, 'loss',
    [1.0, 0.9, 0.9, 0.8999, 0.95, 0.95, 0.95, 0.7, 0.7, 0.7, 0.7, 0.7].map((v) => ({ loss: v })), 'lr'],
  ['ROP_greater_rel', () => { const o = sgdLike([0.1]); return [o, new ReduceOnPlateauLR({ monitor: 'acc', rule: 'greater', patience: 1, threshold: 0.01 }, o)]; }, 'acc',
    [0.5, 0.6, 0.6, 0.6001, 0.6, 0.61, 0.7, 0.7, 0.7].map((v) => ({ acc: v })), 'lr'],
  ['ROP_begin', () => { const o = sgdLike([0.1]); return [o, new ReduceOnPlateauLR({ monitor: 'loss', patience: 0, begin: 2, end: 5, factor: 0.5 }, o)]; }, 'loss',
    Array.from({ length: 7 }, () => ({ loss: 1.0 })), 'lr'],
  ['ROP_momentum_adam', () => {
    const o = adamLike([0.1]);
    return [o, buildParamSchedulers({ type: 'ReduceOnPlateauMomentum', monitor: 'loss', patience: 0, factor: 0.5, min_value: 0.3 }, o)[0]!];
  }, 'loss', Array.from({ length: 4 }, () => ({ loss: 1.0 })), 'betas'],
];

for (const [name, make, , metrics, key] of ROP_CASES) {
  test(`${name}: patience, cooldown, threshold and window as MMEngine (value and best/bad epochs/cooldown/last_step)`, () => {
    const [o, s] = make();
    const values = [o.paramGroups.map((g) => (Array.isArray(g[key]) ? [...(g[key] as number[])] : g[key]))];
    const states: number[][] = [];
    for (const m of metrics) {
      stepEpochSchedulers([s]);
      stepValSchedulers([s], m);
      values.push(o.paramGroups.map((g) => (Array.isArray(g[key]) ? [...(g[key] as number[])] : g[key])) as never);
      const sd = s.stateDict();
      states.push([sd.best, sd.num_bad_epochs, sd.cooldown_counter, sd.last_step] as number[]);
    }
    assertValues(values, V[name], 0, name);
    assertValues(states, V[`${name}:state`], 0, `${name} state`);
  });
}

test('ReduceOnPlateau min_value list counts the optimizer groups; an OptimWrapper base group reuses the last bound', () => {
  const raw = sgdLike([0.1, 0.2]);
  const wrapper = { optimizer: raw, paramGroups: [...raw.paramGroups, { lr: 0.3 }] };
  const s = new ReduceOnPlateauLR({ min_value: [0.05, 0.15], patience: 0, factor: 0.1 }, wrapper);
  assert.deepEqual(s.stateDict().min_values, [0.05, 0.15, 0.15]);
  s.step();
  s.step({ loss: 1 });
  s.step();
  s.step({ loss: 1 });
  assert.deepEqual(wrapper.paramGroups.map((g) => g.lr), [0.05, 0.15, 0.15]);
});

test('simulateSchedule steps epoch-based schedulers every epochLength iterations', () => {
  const [lr] = simulateSchedule([{ type: 'MultiStepLR', milestones: [1, 2] }], { baseLrs: [0.1], iters: [0, 2, 3, 5, 6, 9], epochLength: 3 });
  assertValues(lr, [0.1, 0.1, 0.010000000000000002, 0.010000000000000002, 0.0010000000000000002, 0.0010000000000000002]);
  const two = simulateSchedule([{ type: 'LinearLR', start_factor: 0.5, begin: 0, end: 1, convert_to_iter_based: true }, { type: 'MultiStepLR', milestones: [1, 2], convert_to_iter_based: true }],
    { baseLrs: [0.1, 0.2], iters: [0, 1, 2, 3, 6], epochLength: 3 });
  assertValues(two[0], V.convert_multistep_linear!.map((r) => r[0]).filter((_, i) => [0, 1, 2, 3, 6].includes(i)));
  assert.equal(two[1]![2], 0.2);
  assert.throws(() => simulateSchedule([{ type: 'MultiStepLR', milestones: [1] }], { baseLrs: [0.1], iters: [1] }), /param_scheduler\.0\.by_epoch: an epoch-based scheduler needs epochLength/);
  const [withMax] = simulateSchedule({ type: 'PolyLR', by_epoch: false }, { baseLrs: [1], iters: [0, 5, 9, 10], maxIters: 10 });
  assertValues(withMax, [1, 0.4444444444444445, 0, 0], 1e-15);
});
