// Tests for OptimWrapper: the update flow, accumulation (MMEngine's loss scaling), clipping, lr/momentum, state and context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, manualSeed, randn, tensor, tidy } from '../../../torch/index.js';
import { BatchNorm2d, Linear, Module } from '../../../torch/nn/index.js';
import { Adagrad, AdamW, SGD } from '../../../torch/optim/index.js';
import { ConfigError } from '../../config/errors.js';
import { OptimWrapper, OptimWrapperDict } from './index.js';

function capture(): { logger: { info(m: string): void; warning(m: string): void }; warnings: string[] } {
  const warnings: string[] = [];
  return { logger: { info: () => {}, warning: (m) => void warnings.push(m) }, warnings };
}

function hub(): { updateScalar(k: string, v: number): void; scalars: [string, number][] } {
  const scalars: [string, number][] = [];
  return { updateScalar: (k, v) => void scalars.push([k, v]), scalars };
}

const linear = (seed = 1): Linear => {
  manualSeed(seed);
  return new Linear(4, 3);
};

const mse = (model: Linear, x: Tensor, y: Tensor): Tensor => model.forward(x).sub(y).square().mean();

const weights = (m: Module): number[][] => m.parameters().map((p) => p.toArray());

function assertAllClose(a: number[][], b: number[][], tol: number): void {
  a.forEach((row, i) => row.forEach((v, j) => assert.ok(Math.abs(v - b[i]![j]!) <= tol, `param ${i}[${j}]: ${v} vs ${b[i]![j]}`)));
}

/** Trains over `batches` (lists of sample indices) with one updateParams per batch. */
function train(model: Linear, wrapper: OptimWrapper, x: Tensor, y: Tensor, batches: number[][]): void {
  for (const idx of batches) {
    tidy(() => {
      const i = tensor(idx, { dtype: 'int64' });
      wrapper.updateParams(mse(model, x.indexSelect(0, i), y.indexSelect(0, i)));
    });
  }
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);

test('accumulative_counts 4 with batch 2 gives the weights of batch 8 without accumulation', () => tidy(() => {
  manualSeed(7);
  const x = randn([16, 4]);
  const y = randn([16, 3]);
  const a = linear();
  const b = linear();
  const wa = new OptimWrapper({ optimizer: new SGD(a.parameters(), { lr: 0.1, momentum: 0.9 }), accumulative_counts: 4 });
  const wb = new OptimWrapper({ optimizer: new SGD(b.parameters(), { lr: 0.1, momentum: 0.9 }) });
  const before = weights(a);
  train(a, wa, x, y, range(0, 8).map((i) => [2 * i, 2 * i + 1]));
  train(b, wb, x, y, [range(0, 8), range(8, 16)]);
  assertAllClose(weights(a), weights(b), 1e-5);
  assert.ok(Math.abs(weights(a)[0]![0]! - before[0]![0]!) > 1e-3, 'the weights moved');
  assert.equal(wa.innerCount, 8);
}));

test('the last max_iters % N iterations are scaled by the remainder and still update', () => tidy(() => {
  manualSeed(8);
  const x = randn([20, 4]);
  const y = randn([20, 3]);
  const a = linear(2);
  const b = linear(2);
  const wa = new OptimWrapper({ optimizer: new SGD(a.parameters(), { lr: 0.1 }), accumulative_counts: 4 });
  const wb = new OptimWrapper({ optimizer: new SGD(b.parameters(), { lr: 0.1 }) });
  wa.initializeCountStatus(a, 0, 10);
  const updates: boolean[] = [];
  for (let it = 0; it < 10; it++) {
    tidy(() => {
      const i = tensor([2 * it, 2 * it + 1], { dtype: 'int64' });
      const loss = mse(a, x.indexSelect(0, i), y.indexSelect(0, i));
      const scaled = wa.scaleLoss(loss);
      assert.ok(Math.abs(scaled.item() - loss.item() / (it < 8 ? 4 : 2)) < 1e-6, `iteration ${it} factor`);
      wa.updateParams(loss);
      updates.push(wa.shouldUpdate());
    });
  }
  assert.deepEqual(updates, [false, false, false, true, false, false, false, true, false, true]);
  train(b, wb, x, y, [range(0, 8), range(8, 16), range(16, 20)]);
  assertAllClose(weights(a), weights(b), 1e-5);
}));

test('shouldSync looks one iteration ahead; optimContext holds back sync on accumulation-only iterations', () => {
  const model = linear();
  const events: string[] = [];
  Object.assign(model, { enterNoSync: () => events.push('enter'), exitNoSync: () => events.push('exit') });
  const w = new OptimWrapper({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), accumulative_counts: 3 });
  w.initializeCountStatus(model, 0, 5);
  const seen: boolean[] = [];
  for (let it = 0; it < 5; it++) {
    events.length = 0;
    const inside = w.optimContext(model, () => [...events]);
    seen.push(w.shouldSync());
    assert.deepEqual(inside, w.shouldSync() ? [] : ['enter']);
    assert.deepEqual(events, w.shouldSync() ? [] : ['enter', 'exit']);
    tidy(() => w.backward(model.forward(randn([2, 4])).sum()));
  }
  assert.deepEqual(seen, [false, false, true, false, true]);
});

test('optimContext keeps an async context open until the promise settles', async () => {
  const model = linear();
  const events: string[] = [];
  Object.assign(model, { enterNoSync: () => events.push('enter'), exitNoSync: () => events.push('exit') });
  const w = new OptimWrapper({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), accumulative_counts: 2 });
  const result = await w.optimContext(model, async () => {
    await new Promise((r) => setTimeout(r, 1));
    events.push('body');
    return 5;
  });
  assert.equal(result, 5);
  assert.deepEqual(events, ['enter', 'body', 'exit']);
  const token = w.enterOptimContext(model);
  w.exitOptimContext(token);
  assert.throws(() => w.exitOptimContext(token), /already closed/);
});

test('initializeCountStatus warns about BatchNorm with accumulation and about a resume inside a window', () => {
  const model = new (class extends Module {
    bn = this.registerModule('bn', new BatchNorm2d(2));
    forward(x: Tensor): Tensor { return this.bn.forward(x); }
  })();
  const { logger, warnings } = capture();
  const w = new OptimWrapper({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), accumulative_counts: 2 });
  w.logger = logger;
  w.initializeCountStatus(model, 3, 10);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0]!, /Resumed iteration number is not divisible by `accumulative_counts`/);
  assert.match(warnings[1]!, /model has BatchNorm layers/);
  const w1 = new OptimWrapper({ optimizer: new SGD(model.parameters(), { lr: 0.1 }) });
  w1.logger = logger;
  w1.initializeCountStatus(model, 3, 10);
  assert.equal(warnings.length, 2, 'no warnings without accumulation');
});

test('clip_grad by norm clips before the step and records train/grad_norm', () => tidy(() => {
  const model = linear(3);
  const h = hub();
  const w = new OptimWrapper({ optimizer: new SGD(model.parameters(), { lr: 1 }), clip_grad: { max_norm: 0.5 } });
  w.messageHub = h;
  const before = weights(model);
  const x = randn([5, 4]);
  tidy(() => w.backward(model.forward(x).sum().mul(10)));
  const grads = model.parameters().map((p) => p.grad!.toArray());
  const norm = Math.sqrt(grads.flat().reduce((s, g) => s + g * g, 0));
  assert.ok(norm > 0.5);
  w.step();
  assert.equal(h.scalars.length, 1);
  assert.equal(h.scalars[0]![0], 'train/grad_norm');
  assert.ok(Math.abs(h.scalars[0]![1] - norm) < 1e-4 * norm);
  const moved = weights(model).flat().map((v, i) => before.flat()[i]! - v);
  const stepNorm = Math.sqrt(moved.reduce((s, d) => s + d * d, 0));
  assert.ok(Math.abs(stepNorm - 0.5) < 1e-4, `the step has the clipped norm 0.5, got ${stepNorm}`);
}));

test('clip_grad by value clamps each grad and records nothing (clip_grad_value_ returns None)', () => tidy(() => {
  const model = linear(4);
  const h = hub();
  const w = new OptimWrapper({ optimizer: new SGD(model.parameters(), { lr: 1 }), clip_grad: { type: 'value', clip_value: 0.01 } });
  w.messageHub = h;
  const before = weights(model);
  tidy(() => w.backward(model.forward(randn([5, 4])).sum().mul(10)));
  w.step();
  const moved = weights(model).flat().map((v, i) => Math.abs(before.flat()[i]! - v));
  assert.ok(Math.max(...moved) <= 0.01 + 1e-7);
  assert.ok(Math.max(...moved) > 0.009);
  assert.deepEqual(h.scalars, []);
}));

test('clip_grad and accumulative_counts errors name their keys', () => {
  const optimizer = new SGD(linear().parameters(), { lr: 1 });
  const msg = (o: Record<string, unknown>): string => {
    try {
      new OptimWrapper({ optimizer, ...o });
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.message;
    }
    return 'no error';
  };
  assert.equal(msg({ clip_grad: { max_norm: '1' } }), 'clip_grad.max_norm: expected number, got "1"');
  assert.equal(msg({ clip_grad: { type: 'value', clip_value: 1, max_norm: 1 } }), "clip_grad: unknown key 'max_norm'");
  assert.equal(msg({ clip_grad: { type: 'l2', max_norm: 1 } }), 'clip_grad.type: expected "norm" | "value", got "l2"');
  assert.equal(msg({ clip_grad: {} }), 'clip_grad.max_norm: expected number, got nothing');
  assert.equal(msg({ accumulative_counts: 0 }), 'accumulative_counts: Too small: expected number to be >=1 (got 0)');
  assert.equal(msg({ clip_grad: null }), 'no error');
});

test('getLr, getMomentum and live paramGroups; base_lr rides along with several groups', () => tidy(() => {
  const m = linear();
  const sgd = new OptimWrapper({ optimizer: new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }) });
  assert.deepEqual(sgd.getLr(), { lr: [0.1] });
  assert.deepEqual(sgd.getMomentum(), { momentum: [0.9] });
  const [weight, bias] = m.parameters();
  const adamw = new OptimWrapper({ optimizer: new AdamW([{ params: [weight!] }, { params: [bias!], lr: 0.5 }], { lr: 0.01, betas: [0.8, 0.99] }) });
  assert.deepEqual(adamw.getLr(), { base_lr: [0.01], lr: [0.01, 0.5] });
  assert.deepEqual(adamw.getMomentum(), { momentum: [0.8, 0.8] });
  assert.equal(adamw.paramGroups.length, 3);
  adamw.paramGroups[0]!.lr = 0.2; // what a scheduler does
  adamw.paramGroups[2]!.lr = 0.02;
  assert.deepEqual(adamw.getLr(), { base_lr: [0.02], lr: [0.2, 0.5] });
  assert.equal(adamw.optimizer.paramGroups[0]!.lr, 0.2);
  const adagrad = new OptimWrapper({ optimizer: new Adagrad(m.parameters(), { lr: 0.1 }) });
  assert.deepEqual(adagrad.getMomentum(), { momentum: [0] });
}));

test('updateParams steps and zeroes the grads; stateDict round-trips optimizer state and base_param_settings', () => tidy(() => {
  const m = linear(5);
  const [weight, bias] = m.parameters();
  const make = (): OptimWrapper => new OptimWrapper({ optimizer: new SGD([{ params: [weight!] }, { params: [bias!], lr: 0.05 }], { lr: 0.1, momentum: 0.9 }) });
  const w = make();
  w.updateParams(m.forward(randn([3, 4])).sum());
  assert.equal(weight!.grad, null, 'zeroGrad dropped the grads');
  w.paramGroups[2]!.lr = 0.07;
  const sd = w.stateDict();
  assert.deepEqual(sd.base_param_settings, { ...w.optimizer.defaults, lr: 0.07, params: [] });
  const buf = (sd.state[0]!.momentum_buffer as Tensor).toArray();
  const w2 = make();
  w2.loadStateDict(sd);
  assert.deepEqual((w2.optimizer.stateDict().state[0]!.momentum_buffer as Tensor).toArray(), buf);
  assert.equal(w2.getLr().base_lr![0], 0.07);
  assert.deepEqual(w2.getLr().lr, [0.1, 0.05]);
}));

test('OptimWrapperDict gathers lr, momentum and state by name and refuses per-optimizer calls', () => tidy(() => {
  const g = linear(1);
  const d = linear(2);
  const gen = new OptimWrapper({ optimizer: new SGD(g.parameters(), { lr: 0.1 }) });
  const dis = new OptimWrapper({ optimizer: new AdamW(d.parameters(), { lr: 0.002 }) });
  const dict = new OptimWrapperDict({ generator: gen, discriminator: dis });
  assert.deepEqual(dict.getLr(), { 'generator.lr': [0.1], 'discriminator.lr': [0.002] });
  assert.deepEqual(dict.getMomentum(), { 'generator.momentum': [0], 'discriminator.momentum': [0.9] });
  assert.deepEqual(Object.keys(dict.paramGroups), ['generator', 'discriminator']);
  assert.equal(dict.get('generator'), gen);
  assert.throws(() => dict.get('critic'), /no wrapper named 'critic' \(have generator, discriminator\)/);
  assert.throws(() => dict.updateParams(), /call updateParams on one of its wrappers/);
  tidy(() => dis.updateParams(d.forward(randn([2, 4])).sum()));
  const sd = dict.stateDict();
  assert.deepEqual(Object.keys(sd), ['generator', 'discriminator']);
  assert.equal(Object.keys(sd.discriminator!.state).length, 2);
  assert.throws(() => dict.loadStateDict({ critic: sd.generator! }), /'critic', which is not one of generator, discriminator/);
  dict.loadStateDict(sd);
}));
