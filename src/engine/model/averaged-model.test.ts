// Averaged models against hand-computed values: EMA, momentum annealing, SWA, buffers, state dict layout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../torch/index.js';
import { nn, type Tensor } from '../../torch/index.js';
import { ConfigError } from '../config/errors.js';
import { MODELS } from '../registry/index.js';
import { ExponentialMovingAverage, MomentumAnnealingEMA, StochasticWeightAverage, type BaseAveragedModel } from './averaged-model.js';

/** A child with a float parameter, a float buffer, an int64 counter buffer and a non-persistent buffer. */
class Child extends nn.Module {
  weight: Tensor;
  running: Tensor;
  count: Tensor;
  scratch: Tensor;
  constructor() {
    super();
    this.weight = this.registerParameter('weight', torch.tensor([10, 20]));
    this.running = this.registerBuffer('running', torch.tensor([1, 1]));
    this.count = this.registerBuffer('count', torch.tensor(0, { dtype: 'int64' }));
    this.scratch = this.registerBuffer('scratch', torch.tensor([7]), false);
  }
  forward(x: Tensor): Tensor {
    return x.mul(this.weight);
  }
}

class Net extends nn.Module {
  w: Tensor;
  child: Child;
  twin: Child;
  constructor() {
    super();
    this.w = this.registerParameter('w', torch.tensor([1, 2]));
    this.child = this.registerModule('child', new Child());
    this.twin = this.registerModule('twin', this.child); // shared, as PyTorch allows
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.child.forward(x.add(this.w)));
  }
}

const set = (t: Tensor, values: number[]): void => void torch.noGrad(() => torch.tidy(() => {
  t.copy_(t.shape.length === 0 ? torch.tensor(values[0]!, { dtype: t.dtype }) : torch.tensor(values, { dtype: t.dtype }));
}));
const values = (t: Tensor): number[] => t.toArray();
const close = (actual: number[], expected: number[], what: string): void => {
  assert.equal(actual.length, expected.length, what);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]!) < 1e-5, `${what}[${i}]: ${v} vs ${expected[i]}`));
};
const entry = (m: BaseAveragedModel, key: string): Tensor => m.stateDict({ keepVars: true }).get(key)!;

test('EMA follows (1 - momentum) * averaged + momentum * source over several updates', () => {
  const net = new Net();
  const ema = new ExponentialMovingAverage({ momentum: 0.25 }, net);
  ema.updateParameters(net); // steps 0: copy
  close(values(entry(ema, 'module.w')), [1, 2], 'copy at step 0');
  set(net.w, [3, 6]);
  ema.updateParameters(net);
  close(values(entry(ema, 'module.w')), [1.5, 3], 'after update 1'); // 0.75*[1,2] + 0.25*[3,6]
  set(net.w, [5, 10]);
  ema.updateParameters(net);
  close(values(entry(ema, 'module.w')), [2.375, 4.75], 'after update 2'); // 0.75*[1.5,3] + 0.25*[5,10]
  assert.equal(ema.steps.item(), 3);
  close(values(net.w), [5, 10], 'source untouched');
});

test('default momentum is 0.0002', () => {
  const net = new Net();
  const ema = new ExponentialMovingAverage({}, net);
  assert.equal(ema.momentum, 0.0002);
  ema.updateParameters(net);
  set(net.w, [10001, 2]);
  ema.updateParameters(net);
  close(values(entry(ema, 'module.w')), [1 + 0.0002 * 10000, 2], 'one small step');
});

test('without update_buffers buffers follow the source; with it float buffers are averaged and int ones kept from step 0', () => {
  const net = new Net();
  const plain = new ExponentialMovingAverage({ momentum: 0.5 }, net);
  const withBuffers = new ExponentialMovingAverage({ momentum: 0.5, update_buffers: true }, net);
  for (const m of [plain, withBuffers]) m.updateParameters(net);
  set(net.child.running, [3, 5]);
  set(net.child.count, [4]);
  set(net.child.scratch, [9]);
  set(net.child.weight, [20, 40]);
  for (const m of [plain, withBuffers]) m.updateParameters(net);

  close(values(entry(plain, 'module.child.running')), [3, 5], 'plain: running copied');
  assert.equal(entry(plain, 'module.child.count').item(), 4, 'plain: count copied');
  close(values(plain.module.getBuffer('child.scratch')), [9], 'plain: non-persistent buffer copied too');
  close(values(entry(plain, 'module.child.weight')), [15, 30], 'plain: parameter averaged');

  close(values(entry(withBuffers, 'module.child.running')), [2, 3], 'update_buffers: running averaged'); // 0.5*[1,1] + 0.5*[3,5]
  // `twin` is the same module as `child`: one tensor, averaged once per update (MMEngine's walk would do it twice).
  close(values(entry(withBuffers, 'module.twin.running')), [2, 3], 'update_buffers: shared buffer averaged once');
  assert.equal(entry(withBuffers, 'module.child.count').item(), 0, 'update_buffers: int buffer only copied at step 0');
  close(values(entry(withBuffers, 'module.child.weight')), [15, 30], 'update_buffers: parameter averaged');
});

test('interval skips updates between multiples of interval', () => {
  const net = new Net();
  const ema = new ExponentialMovingAverage({ momentum: 0.5, interval: 2 }, net);
  ema.updateParameters(net); // steps 0: copy [1,2]
  set(net.w, [3, 4]);
  ema.updateParameters(net); // steps 1: skipped
  close(values(entry(ema, 'module.w')), [1, 2], 'step 1 skipped');
  ema.updateParameters(net); // steps 2: averaged
  close(values(entry(ema, 'module.w')), [2, 3], 'step 2 averaged');
});

test('MomentumAnnealingEMA uses max(momentum, gamma / (gamma + steps))', () => {
  const net = new Net();
  const ema = new MomentumAnnealingEMA({ momentum: 0.1, gamma: 2 }, net);
  assert.deepEqual([1, 2, 3, 18, 30].map((s) => ema.momentumAt(s)), [2 / 3, 0.5, 0.4, 0.1, 0.1]);
  ema.updateParameters(net); // copy [1, 2]
  set(net.w, [4, 2]);
  ema.updateParameters(net); // momentum 2/3: 1 + 2/3 * 3 = 3
  close(values(entry(ema, 'module.w')), [3, 2], 'steps 1');
  set(net.w, [5, 4]);
  ema.updateParameters(net); // momentum 0.5: [4, 3]
  close(values(entry(ema, 'module.w')), [4, 3], 'steps 2');
  assert.equal(new MomentumAnnealingEMA({}, net).gamma, 100);
});

test('StochasticWeightAverage keeps the running mean of the weights', () => {
  const net = new Net();
  const swa = new StochasticWeightAverage({}, net);
  const seen = [[1, 2], [3, 8], [8, 2]];
  seen.forEach((w) => {
    set(net.w, w);
    swa.updateParameters(net);
  });
  close(values(entry(swa, 'module.w')), [4, 4], 'mean of three');
});

test('state dict is steps then module.<name>, the copy is deep, frozen and shares what the source shares', () => {
  const net = new Net();
  const ema = new ExponentialMovingAverage({}, net);
  const keys = [...ema.stateDict().keys()];
  assert.deepEqual(keys, ['steps', ...[...net.stateDict().keys()].map((k) => `module.${k}`)]);
  assert.deepEqual(keys, ['steps', 'module.w', 'module.child.weight', 'module.child.running', 'module.child.count',
    'module.twin.weight', 'module.twin.running', 'module.twin.count']);
  assert.equal(ema.steps.dtype, 'int64');
  assert.ok(ema.module.parameters().every((p) => !p.requiresGrad));
  assert.ok(net.parameters().every((p) => p.requiresGrad));
  assert.equal(ema.module.getSubmodule('twin'), ema.module.getSubmodule('child'));
  set(net.w, [100, 100]);
  close(values(ema.module.getParameter('w')), [1, 2], 'copy independent of the source');
});

test('loadStateDict restores weights and steps', () => {
  const net = new Net();
  const a = new ExponentialMovingAverage({ momentum: 0.5 }, net);
  a.updateParameters(net);
  set(net.w, [5, 6]);
  a.updateParameters(net);
  const b = new ExponentialMovingAverage({ momentum: 0.5 }, new Net());
  b.loadStateDict(a.stateDict());
  assert.equal(b.steps.item(), 2);
  close(values(b.module.getParameter('w')), [3, 4], 'loaded');
});

test('forward runs the source computation with the averaged weights and restores the source', () => {
  const net = new Net();
  const ema = new ExponentialMovingAverage({ momentum: 0.5 }, net);
  ema.updateParameters(net);
  set(net.w, [3, 4]);
  set(net.child.weight, [30, 40]);
  ema.updateParameters(net); // w [2, 3], child.weight [20, 30]
  const out = ema.forward(torch.tensor([1, 1])) as Tensor;
  close(values(out), [60, 120], 'averaged forward'); // ([1,1] + [2,3]) * [20,30]
  assert.equal(out.requiresGrad, false);
  close(values(net.w), [3, 4], 'source w back');
  close(values(net.child.weight), [30, 40], 'source child.weight back');
});

test('updates and forward leave no tensor handles behind', () => {
  const net = new Net();
  const ema = new MomentumAnnealingEMA({ update_buffers: true }, net);
  ema.updateParameters(net);
  const before = torch.native.liveHandles();
  for (let i = 0; i < 5; i++) ema.updateParameters(net);
  torch.tidy(() => {
    ema.forward(torch.tensor([1, 1]));
  });
  assert.equal(torch.native.liveHandles(), before);
});

test('built from MODELS by MMEngine name; bad options name the key path', () => {
  const net = new Net();
  for (const name of ['ExponentialMovingAverage', 'MomentumAnnealingEMA', 'StochasticWeightAverage']) {
    assert.equal(MODELS.build<nn.Module>({ type: name }, { extraArgs: [net] }).className, name);
  }
  assert.throws(() => MODELS.build({ type: 'ExponentialMovingAverage', momentun: 0.1 }, { keyPath: ['ema'], extraArgs: [net] }),
    (e: unknown) => e instanceof ConfigError && e.message === "ema: unknown key 'momentun'");
  assert.throws(() => new ExponentialMovingAverage({ momentum: 1 }, net), (e: unknown) => e instanceof ConfigError && e.message.startsWith('momentum: '));
  assert.throws(() => new MomentumAnnealingEMA({ gamma: 0 }, net), (e: unknown) => e instanceof ConfigError && e.message.startsWith('gamma: '));
  assert.throws(() => new StochasticWeightAverage({ interval: 0 }, net), (e: unknown) => e instanceof ConfigError && e.message.startsWith('interval: '));
});
