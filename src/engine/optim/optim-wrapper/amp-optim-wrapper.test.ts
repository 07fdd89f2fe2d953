// Tests for AmpOptimWrapper on CPU: bfloat16 autocast in optimContext, loss scaling, overflow skips, scaler state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, manualSeed, randn, tensor, tidy } from '../../../torch/index.js';
import { autocastDepth } from '../../../torch/amp/index.js';
import { Conv2d, Linear, Module } from '../../../torch/nn/index.js';
import { SGD } from '../../../torch/optim/index.js';
import { ConfigError } from '../../config/errors.js';
import { AmpOptimWrapper, OptimWrapper } from './index.js';

function capture(): { logger: { info(m: string): void; warning(m: string): void }; warnings: string[] } {
  const warnings: string[] = [];
  return { logger: { info: () => {}, warning: (m) => void warnings.push(m) }, warnings };
}

const linear = (seed = 1): Linear => {
  manualSeed(seed);
  return new Linear(4, 3);
};

const weights = (m: Module): number[] => m.parameters().flatMap((p) => p.toArray());

test('an overflowing step is skipped (weights unchanged), the scale halves and the skip is logged', () => tidy(() => {
  const model = linear();
  const { logger, warnings } = capture();
  const w = new AmpOptimWrapper({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss_scale: 'dynamic' });
  w.logger = logger;
  assert.equal(w.lossScaler.getScale(), 65536);
  const x = randn([2, 4]);
  const before = weights(model);
  // 1e38 x 65536 is past float32's range: the scaled grads are Inf.
  tidy(() => w.updateParams(w.optimContext(model, () => model.forward(x).sum()).float().mul(1e38)));
  assert.deepEqual(weights(model), before);
  assert.equal(w.lossScaler.getScale(), 32768);
  assert.deepEqual(warnings, ['AmpOptimWrapper: skipped the optimizer step at iteration 1: the gradients hold Inf or NaN; loss scale 65536 -> 32768']);
  tidy(() => w.updateParams(w.optimContext(model, () => model.forward(x).sum())));
  assert.notDeepEqual(weights(model), before);
  assert.equal(w.lossScaler.getScale(), 32768);
  assert.equal(w.lossScaler.getGrowthTracker(), 1);
  assert.equal(warnings.length, 1);
}));

test('the loss scaler state is saved under loss_scaler and restored', () => tidy(() => {
  const model = linear(2);
  const w = new AmpOptimWrapper({ optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }), loss_scale: { init_scale: 1024, growth_interval: 3 } });
  w.logger = capture().logger;
  const x = randn([2, 4]);
  tidy(() => w.updateParams(model.forward(x).sum().mul(1e38)));
  tidy(() => w.updateParams(model.forward(x).sum()));
  const sd = w.stateDict();
  assert.deepEqual(sd.loss_scaler, { scale: 512, growth_factor: 2, backoff_factor: 0.5, growth_interval: 3, _growth_tracker: 1 });
  assert.ok(sd.state[0]!.momentum_buffer instanceof Tensor);
  const resumed = new AmpOptimWrapper({ optimizer: new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 }) });
  assert.equal(resumed.lossScaler.getScale(), 65536);
  resumed.loadStateDict(sd);
  assert.equal(resumed.lossScaler.getScale(), 512);
  assert.equal(resumed.lossScaler.getGrowthTracker(), 1);
  assert.equal(resumed.lossScaler.getGrowthInterval(), 3);
  assert.deepEqual(resumed.lossScaler.scale(tensor(1)).toArray(), [512]);
  // Two more clean steps complete the growth interval of 3.
  tidy(() => resumed.updateParams(model.forward(x).sum()));
  tidy(() => resumed.updateParams(model.forward(x).sum()));
  assert.equal(resumed.lossScaler.getScale(), 1024);
  assert.deepEqual(resumed.stateDict().state[0]!.momentum_buffer !== undefined, true);
}));

test('a numeric loss_scale stays fixed, also after an overflow', () => tidy(() => {
  const model = linear(3);
  const w = new AmpOptimWrapper({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), loss_scale: 512 });
  w.logger = capture().logger;
  const x = randn([2, 4]);
  tidy(() => w.updateParams(model.forward(x).sum().mul(1e38)));
  assert.equal(w.lossScaler.getScale(), 512);
  tidy(() => w.updateParams(model.forward(x).sum()));
  assert.equal(w.lossScaler.getScale(), 512);
}));

test('bfloat16 autocast is on inside optimContext (conv output) and off outside, sync and async', async () => {
  manualSeed(4);
  const conv = new Conv2d(3, 4, 3, { padding: 1 });
  const w = new AmpOptimWrapper({ optimizer: new SGD(conv.parameters(), { lr: 0.1 }) });
  assert.equal(w.castDtype, null);
  tidy(() => {
    const x = randn([1, 3, 8, 8]);
    assert.equal(w.optimContext(conv, () => conv.forward(x).dtype), 'bfloat16');
    assert.equal(conv.forward(x).dtype, 'float32');
  });
  const dtype = await w.optimContext(conv, async () => {
    await new Promise((r) => setTimeout(r, 1));
    return tidy(() => conv.forward(randn([1, 3, 8, 8])).dtype);
  });
  assert.equal(dtype, 'bfloat16');
  assert.equal(autocastDepth(), 0);
  const token = w.enterOptimContext(conv);
  tidy(() => assert.equal(conv.forward(randn([1, 3, 4, 4])).dtype, 'bfloat16'));
  w.exitOptimContext(token);
  tidy(() => assert.equal(conv.forward(randn([1, 3, 4, 4])).dtype, 'float32'));
  assert.equal(autocastDepth(), 0);
});

test('with clip_grad the grads are unscaled first: grad_norm is the true norm', () => tidy(() => {
  const x = randn([3, 4]);
  const norms: number[] = [];
  const hub = { updateScalar: (_k: string, v: number) => void norms.push(v) };
  for (const Wrapper of [OptimWrapper, AmpOptimWrapper]) {
    const model = linear(6);
    const w = new Wrapper({ optimizer: new SGD(model.parameters(), { lr: 0.1 }), clip_grad: { max_norm: 100 } });
    w.messageHub = hub;
    tidy(() => w.updateParams(model.forward(x).sum()));
  }
  assert.equal(norms.length, 2);
  assert.ok(Math.abs(norms[0]! - norms[1]!) < 1e-5 * norms[0]!, `${norms[0]} vs ${norms[1]}`);
}));

test('a bf16 AMP step lands close to the fp32 step (grads were unscaled)', () => tidy(() => {
  manualSeed(9);
  const x = randn([4, 3, 8, 8]);
  const results: number[][] = [];
  for (const Wrapper of [OptimWrapper, AmpOptimWrapper]) {
    manualSeed(10);
    const conv = new Conv2d(3, 2, 3);
    const w = new Wrapper({ optimizer: new SGD(conv.parameters(), { lr: 0.5 }) });
    const before = weights(conv);
    tidy(() => w.updateParams(w.optimContext(conv, () => conv.forward(x)).float().square().mean()));
    results.push(weights(conv).map((v, i) => v - before[i]!));
  }
  const [fp32, amp] = results as [number[], number[]];
  const scale = Math.max(...fp32.map(Math.abs));
  assert.ok(scale > 1e-3);
  fp32.forEach((d, i) => assert.ok(Math.abs(d - amp[i]!) < 0.03 * scale, `update ${i}: ${d} vs ${amp[i]}`));
}));

test('config errors: float16 on CPU names dtype; bad loss_scale values name loss_scale', () => {
  const optimizer = new SGD(linear().parameters(), { lr: 0.1 });
  const msg = (o: Record<string, unknown>): string => {
    try {
      new AmpOptimWrapper({ optimizer, ...o });
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e.message;
    }
    return 'no error';
  };
  assert.equal(msg({ dtype: 'float16' }),
    "dtype: 'float16' autocast needs a CUDA device, but the model's parameters are on cpu; use 'bfloat16' (or null, which picks bfloat16 on CPU)");
  assert.equal(msg({ dtype: 'float32' }), 'dtype: expected "float16" | "bfloat16", got "float32"');
  assert.equal(msg({ loss_scale: 'static' }), "loss_scale: expected 'dynamic', a number or {init_scale, growth_factor, backoff_factor, growth_interval}, got \"static\"");
  assert.equal(msg({ loss_scale: -1 }), 'loss_scale: expected a finite number > 0, got -1');
  assert.equal(msg({ loss_scale: { init_scale: 8, growth: 2 } }), "loss_scale: unknown key 'growth'");
  assert.equal(msg({ loss_scale: { backoff_factor: 2 } }), 'loss_scale: GradScaler: backoffFactor must be < 1 (got 2)');
  assert.equal(msg({ dtype: 'bfloat16', loss_scale: 128 }), 'no error');
});
