// The Optimizer base: param groups, validation, zeroGrad, state dicts (save, load, resume)
// and that steps leak no tensors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../tensor.js';
import { tensor, zeros } from '../creation.js';
import { tidy } from '../memory.js';
import { native } from '../native.js';
import { optimizers, SGD, Adam, RMSprop, type Optimizer, type OptimizerStateDict } from './index.js';

const param = (values: number[]): Tensor => tensor(values).requiresGrad_();

/** Sets a deterministic gradient for step `s` on each parameter. */
function setGrads(params: Tensor[], s: number): void {
  tidy(() => {
    params.forEach((p, k) => {
      const n = p.numel;
      p.grad = tensor(Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 0.9 * s + k) * (1 + 0.1 * s)));
    });
  });
}

function run(opt: Optimizer, params: Tensor[], from: number, to: number): void {
  for (let s = from; s < to; s++) {
    setGrads(params, s);
    opt.step();
  }
}

const RESUME_CASES: [string, Record<string, unknown>][] = [
  ['SGD', { lr: 0.1, momentum: 0.9, nesterov: true }],
  ['Adam', { lr: 0.01, amsgrad: true, weight_decay: 0.1 }],
  ['AdamW', { lr: 0.01 }],
  ['Adamax', {}],
  ['NAdam', {}],
  ['RAdam', { betas: [0.9, 0.95] }],
  ['Adagrad', { lr_decay: 0.1 }],
  ['Adadelta', {}],
  ['RMSprop', { centered: true, momentum: 0.5 }],
  ['ASGD', { t0: 1 }],
  ['Rprop', {}],
];

for (const [type, options] of RESUME_CASES) {
  test(`${type}: loadStateDict then continuing equals an uninterrupted run`, () => {
    const a = [param([0.5, -0.3, 0.8]), param([0.1, 0.2])];
    const straight = new optimizers[type]!(a, options);
    run(straight, a, 0, 3);
    const sd = straight.stateDict();

    const b = a.map((p) => p.detach().clone().requiresGrad_());
    // Different hyperparameters: loading must restore the saved ones.
    const resumed = new optimizers[type]!(b, { ...options, lr: 0.123 });
    resumed.loadStateDict(sd);
    assert.deepEqual(resumed.paramGroups[0]!.lr, straight.paramGroups[0]!.lr);
    for (const s of resumed.state.values()) {
      for (const [k, v] of Object.entries(s)) {
        if (v instanceof Tensor) assert.ok(!Object.is(v, sd.state[0]![k]), `${k} is copied, not shared`);
      }
    }
    run(straight, a, 3, 7);
    run(resumed, b, 3, 7);
    a.forEach((p, i) => assert.deepEqual(b[i]!.toArray(), p.toArray(), `param ${i} after resuming`));
  });
}

test('extra group keys survive construction, stateDict and loadStateDict', () => {
  const w = param([1, 2]);
  const b = param([3]);
  const groups = () => [{ params: [w] }, { params: [b], lr: 0.5, lr_mult: 0.1, decay_mult: 0, group_name: 'head', initial_lr: 0.5 }];
  const opt = new SGD(groups(), { lr: 0.1, momentum: 0.9 });
  assert.equal(opt.paramGroups[0]!.lr, 0.1);
  assert.equal(opt.paramGroups[0]!.momentum, 0.9, 'defaults fill missing keys');
  assert.equal(opt.paramGroups[1]!.lr_mult, 0.1);
  assert.equal(opt.paramGroups[1]!.group_name, 'head');
  const sd = opt.stateDict();
  assert.deepEqual(sd.param_groups[1], {
    params: [1], lr: 0.5, lr_mult: 0.1, decay_mult: 0, group_name: 'head', initial_lr: 0.5,
    momentum: 0.9, dampening: 0, weight_decay: 0, nesterov: false, maximize: false, foreach: null, differentiable: false,
  });

  const other = new SGD([{ params: [w] }, { params: [b] }], { lr: 0.3 });
  const group1 = other.paramGroups[1]!;
  other.loadStateDict(sd);
  assert.equal(other.paramGroups[1], group1, 'group objects keep their identity (schedulers may hold them)');
  assert.equal(group1.group_name, 'head');
  assert.equal(group1.lr, 0.5);
  assert.equal(other.paramGroups[0]!.lr, 0.1);
  assert.equal(other.paramGroups[0]!.momentum, 0.9);
  assert.deepEqual(group1.params, [b]);
});

test('parameters without a grad are skipped: untouched and without state', () => {
  const used = param([1, 1]);
  const frozen = param([2, 2]);
  const opt = new Adam([used, frozen], { lr: 0.1 });
  run(opt, [used], 0, 3);
  assert.deepEqual(frozen.toArray(), [2, 2]);
  assert.ok(!opt.state.has(frozen));
  assert.ok(opt.state.has(used));
  assert.notDeepEqual(used.toArray(), [1, 1]);
  assert.deepEqual(Object.keys(opt.stateDict().state), ['0']);
});

test('zeroGrad sets grads to null by default, or to zeros in place', () => {
  const p = param([1, 2, 3]);
  const opt = new SGD([p], { lr: 0.1 });
  setGrads([p], 0);
  opt.zeroGrad(false);
  assert.deepEqual(p.grad!.toArray(), [0, 0, 0]);
  opt.zeroGrad();
  assert.equal(p.grad, null);
});

test('hyperparameters are validated with PyTorch messages', () => {
  const p = [param([1])];
  assert.throws(() => new SGD(p, { lr: -1 }), /SGD: Invalid learning rate: -1/);
  assert.throws(() => new SGD(p, { lr: 0.1, momentum: -0.5 }), /Invalid momentum value: -0.5/);
  assert.throws(() => new SGD(p, { lr: 0.1, nesterov: true }), /Nesterov momentum requires a momentum and zero dampening/);
  assert.throws(() => new SGD(p, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }), /Nesterov momentum requires/);
  assert.throws(() => new SGD(p), /didn't specify a value of required optimization parameter lr/);
  assert.throws(() => new Adam(p, { betas: [1, 0.9] }), /Invalid beta parameter at index 0: 1/);
  assert.throws(() => new Adam(p, { betas: [0.9, -0.1] }), /Invalid beta parameter at index 1: -0.1/);
  assert.throws(() => new Adam(p, { eps: -1 }), /Invalid epsilon value: -1/);
  assert.throws(() => new optimizers.AdamW!(p, { weight_decay: -1 }), /Invalid weight_decay value: -1/);
  assert.throws(() => new optimizers.NAdam!(p, { momentum_decay: -1 }), /Invalid momentum_decay value: -1/);
  assert.throws(() => new optimizers.Adagrad!(p, { lr_decay: -1 }), /Invalid lr_decay value: -1/);
  assert.throws(() => new optimizers.Adagrad!(p, { initial_accumulator_value: -1 }), /Invalid initial_accumulator_value value: -1/);
  assert.throws(() => new optimizers.Adadelta!(p, { rho: 1.5 }), /Invalid rho value: 1.5/);
  assert.throws(() => new RMSprop(p, { alpha: -1 }), /Invalid alpha value: -1/);
  assert.throws(() => new optimizers.Rprop!(p, { etas: [1.5, 2] }), /Invalid eta values: 1.5, 2/);
  assert.throws(() => new Adam(p, { momentum: 0.9 } as never), /Adam: unknown option 'momentum'/);
  assert.throws(() => new Adam([]), /empty parameter list/);
  assert.throws(() => new Adam([p[0]!, p[0]!.mul(2)]), /can't optimize a non-leaf Tensor/);
  assert.throws(() => new Adam([{ params: p }, { params: p }]), /some parameters appear in more than one parameter group/);
});

test('addParamGroup applies defaults and rejects parameters already optimized', () => {
  const a = param([1]);
  const b = param([2]);
  const opt = new Adam([a], { lr: 0.01, betas: [0.8, 0.9] });
  opt.addParamGroup({ params: b, eps: 1e-3 });
  const g = opt.paramGroups[1]!;
  assert.deepEqual(g.params, [b]);
  assert.equal(g.lr, 0.01);
  assert.equal(g.eps, 1e-3);
  assert.deepEqual(g.betas, [0.8, 0.9]);
  assert.notEqual(g.betas, opt.paramGroups[0]!.betas, 'array defaults are copied per group');
  assert.throws(() => opt.addParamGroup({ params: [a] }), /more than one parameter group/);
});

test('loadStateDict rejects state dicts that do not fit, with clear errors', () => {
  const a = param([1, 2]);
  const b = param([3]);
  const opt = new Adam([a, b]);
  run(opt, [a, b], 0, 1);
  const sd = opt.stateDict();
  assert.throws(() => new Adam([{ params: [a] }, { params: [b] }]).loadStateDict(sd),
    /Adam.loadStateDict: loaded state dict has 1 parameter groups, optimizer has 2/);
  assert.throws(() => new Adam([a]).loadStateDict(sd), /param group 0 has 2 parameters in the state dict but 1 in the optimizer/);
  const bad: OptimizerStateDict = { state: { 5: sd.state[0]! }, param_groups: sd.param_groups };
  assert.throws(() => new Adam([a, b]).loadStateDict(bad), /state has an entry for parameter 5/);
  assert.throws(() => new Adam([a, b]).loadStateDict({} as OptimizerStateDict), /expected \{ state, param_groups \}/);
});

test('loadStateDict casts floating state to the parameter dtype and converts step kinds', () => {
  const p = param([1, 2]);
  const groups = new Adam([p]).stateDict().param_groups;
  const adam = new Adam([p]);
  adam.loadStateDict({
    state: { 0: { step: 4, exp_avg: tensor([0.1, 0.2], { dtype: 'float64' }), exp_avg_sq: zeros([2], { dtype: 'float64' }) } },
    param_groups: groups,
  });
  const s = adam.state.get(p)!;
  assert.equal((s.exp_avg as Tensor).dtype, 'float32');
  assert.ok(s.step instanceof Tensor, 'a numeric Adam step becomes a tensor, as PyTorch does on load');
  setGrads([p], 0);
  adam.step();
  assert.equal((s.step as Tensor).item(), 5);

  const rms = new RMSprop([p]);
  rms.loadStateDict({ state: { 0: { step: tensor(3), square_avg: zeros([2]) } }, param_groups: new RMSprop([p]).stateDict().param_groups });
  assert.equal(rms.state.get(p)!.step, 3);
});

test('no tensor leaks across many steps, stateDict round trips and dispose', () => {
  const params = [param([0.5, -0.3, 0.8, 0.1]), param([0.1, 0.2])];
  const configs: [string, Record<string, unknown>][] = [
    ...RESUME_CASES,
    ['SGD', { lr: 0.1 }],
    ['Adam', { maximize: true }],
    ['RMSprop', {}],
  ];
  for (const [type, options] of configs) {
    const base = native.liveHandles();
    const opt = new optimizers[type]!(params, options);
    run(opt, params, 0, 1);
    const warm = native.liveHandles();
    run(opt, params, 1, 40);
    assert.equal(native.liveHandles(), warm, `${type}: live handles stable across steps`);
    for (let i = 0; i < 3; i++) opt.loadStateDict(opt.stateDict());
    assert.equal(native.liveHandles(), warm, `${type}: loadStateDict frees the state it replaces`);
    opt.zeroGrad();
    opt.dispose();
    assert.equal(native.liveHandles(), base, `${type}: dispose frees all state`);
  }
});
