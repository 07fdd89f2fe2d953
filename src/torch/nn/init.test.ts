// nn.init against the formulas of torch.nn.init, and the default inits of the layers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor } from '../tensor.js';
import { empty } from '../creation.js';
import { Generator, manualSeed } from '../runtime.js';
import * as nn from './index.js';

const { init } = nn;
manualSeed(3);

function stats(t: Tensor): { mean: number; std: number; min: number; max: number } {
  return { mean: t.mean().item(), std: t.std().item(), min: t.min().item(), max: t.max().item() };
}

/** |actual - expected| <= rel * expected. */
function near(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what}: ${actual} is not within ${rel * 100}% of ${expected}`);
}

test('calculateGain and fan computation follow nn.init', () => {
  assert.equal(init.calculateGain('linear'), 1);
  assert.equal(init.calculateGain('conv2d'), 1);
  assert.equal(init.calculateGain('sigmoid'), 1);
  assert.equal(init.calculateGain('tanh'), 5 / 3);
  assert.equal(init.calculateGain('relu'), Math.SQRT2);
  assert.equal(init.calculateGain('selu'), 0.75);
  near(init.calculateGain('leaky_relu'), Math.sqrt(2 / (1 + 0.01 ** 2)), 1e-12, 'leaky_relu default slope');
  near(init.calculateGain('leaky_relu', Math.sqrt(5)), Math.sqrt(1 / 3), 1e-12, 'leaky_relu a=sqrt(5)');
  assert.throws(() => init.calculateGain('swish'), /unsupported nonlinearity 'swish'/);
  assert.deepEqual(init.calculateFanInAndFanOut(empty([32, 16, 3, 5])), { fanIn: 16 * 15, fanOut: 32 * 15 });
  assert.throws(() => init.calculateFanInAndFanOut(empty([7])), /at least 2 dimensions, got shape \[7\]/);
  assert.throws(() => init.kaimingNormal_(empty([4, 4]), { mode: 'fan_avg' as 'fan_in' }), /mode 'fan_avg' not supported/);
});

test('kaiming and xavier draws have the std of their formulas', () => {
  const w = empty([1024, 512]);
  init.kaimingNormal_(w);
  near(stats(w).std, Math.SQRT2 / Math.sqrt(512), 0.02, 'kaimingNormal_ fan_in leaky_relu(0)');
  assert.ok(Math.abs(stats(w).mean) < 1e-3);

  const c = empty([256, 128, 3, 3]);
  init.kaimingNormal_(c, { mode: 'fan_out', nonlinearity: 'relu' });
  near(stats(c).std, Math.sqrt(2 / (256 * 9)), 0.02, 'kaimingNormal_ fan_out relu');

  init.kaimingUniform_(w, { a: 1, nonlinearity: 'leaky_relu' });
  const bound = Math.sqrt(3) * (1 / Math.sqrt(512));
  const s = stats(w);
  assert.ok(s.max <= bound && s.min >= -bound, 'kaimingUniform_ stays in bounds');
  assert.ok(s.max > 0.99 * bound, 'kaimingUniform_ reaches its bound');
  near(s.std, bound / Math.sqrt(3), 0.02, 'kaimingUniform_ std');

  const x = empty([600, 400]);
  init.xavierUniform_(x, 2);
  const a = 2 * Math.sqrt(6 / 1000);
  assert.ok(stats(x).max <= a && stats(x).max > 0.99 * a);
  near(stats(x).std, a / Math.sqrt(3), 0.02, 'xavierUniform_ std');
  init.xavierNormal_(x);
  near(stats(x).std, Math.sqrt(2 / 1000), 0.02, 'xavierNormal_ std');
});

test('truncNormal_ respects its bounds and the truncated distribution', () => {
  const t = empty([400_000]);
  init.truncNormal_(t, 0, 1, -1, 1);
  let s = stats(t);
  assert.ok(s.min >= -1 && s.max <= 1);
  assert.ok(s.max > 0.999 && s.min < -0.999);
  // Var of N(0,1) truncated to [-1, 1]: 1 - 2 phi(1) / (2 Phi(1) - 1).
  const phi1 = Math.exp(-0.5) / Math.sqrt(2 * Math.PI);
  near(s.std, Math.sqrt(1 - (2 * phi1) / 0.6826894921370859), 0.01, 'truncated std');
  assert.ok(Math.abs(s.mean) < 0.005);

  init.truncNormal_(t, 0, 0.02); // timm's ViT init: bounds [-2, 2] are 100 std away
  s = stats(t);
  near(s.std, 0.02, 0.01, 'trunc_normal std 0.02');

  init.truncNormal_(t, 1, 2, 0.5, 10);
  s = stats(t);
  assert.ok(s.min >= 0.5 && s.max <= 10);
});

test('uniform_, normal_, constant_, ones_, zeros_, eye_ fill in place; a generator makes draws reproducible', () => {
  const t = empty([3, 4]);
  assert.equal(init.constant_(t, 2.5), t);
  assert.ok(t.toArray().every((v) => v === 2.5));
  init.zeros_(t);
  assert.equal(t.abs().sum().item(), 0);
  init.ones_(t);
  assert.equal(t.sum().item(), 12);
  init.eye_(t);
  assert.deepEqual(t.tolist(), [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0]]);
  const a = init.uniform_(empty([100]), -3, -2, new Generator(42)).toArray();
  const b = init.uniform_(empty([100]), -3, -2, new Generator(42)).toArray();
  assert.deepEqual(a, b);
  assert.ok(a.every((v) => v >= -3 && v < -2));
  const n1 = init.truncNormal_(empty([50]), 0, 1, -2, 2, new Generator(1)).toArray();
  const n2 = init.truncNormal_(empty([50]), 0, 1, -2, 2, new Generator(1)).toArray();
  assert.deepEqual(n1, n2);
  // In place on a parameter that requires grad (allowed because it runs under noGrad).
  const lin = new nn.Linear(3, 2);
  init.normal_(lin.weight, 0, 1);
  assert.equal(lin.weight.requiresGrad, true);
  assert.equal(lin.weight.gradFn, null);
});

test('default layer inits match PyTorch: U(+-1/sqrt(fan_in)) for Conv2d/Linear weights and biases', () => {
  const cases: [string, nn.Module & { weight: Tensor; bias: Tensor | null }, number][] = [
    ['Conv2d(16, 32, 3)', new nn.Conv2d(16, 32, 3), 16 * 9],
    ['Conv2d(16, 32, 3, groups=4)', new nn.Conv2d(16, 32, 3, { groups: 4 }), 4 * 9],
    ['ConvTranspose2d(16, 8, 4)', new nn.ConvTranspose2d(16, 8, 4), 8 * 16],
    ['Linear(300, 200)', new nn.Linear(300, 200), 300],
  ];
  for (const [name, m, fanIn] of cases) {
    const bound = 1 / Math.sqrt(fanIn);
    const w = stats(m.weight);
    assert.ok(w.max <= bound && w.min >= -bound, `${name} weight within ${bound}`);
    assert.ok(w.max > 0.97 * bound, `${name} weight reaches ${bound} (max ${w.max})`);
    near(w.std, bound / Math.sqrt(3), 0.05, `${name} weight std`);
    const b = stats(m.bias!);
    assert.ok(b.max <= bound && b.min >= -bound, `${name} bias within ${bound}`);
  }
  const bn = new nn.BatchNorm2d(5);
  assert.deepEqual([bn.weight!.toArray(), bn.bias!.toArray(), bn.runningMean!.toArray(), bn.runningVar!.toArray()],
    [[1, 1, 1, 1, 1], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [1, 1, 1, 1, 1]]);
  const mha = new nn.MultiheadAttention(64, 4);
  const a = Math.sqrt(6 / (64 + 192));
  assert.ok(stats(mha.inProjWeight!).max <= a && stats(mha.inProjWeight!).max > 0.95 * a, 'in_proj_weight is xavier_uniform');
  assert.equal(mha.inProjBias!.abs().sum().item(), 0);
  assert.equal(mha.outProj.bias!.abs().sum().item(), 0);
  const emb = new nn.Embedding(1000, 64);
  near(stats(emb.weight).std, 1, 0.02, 'Embedding N(0, 1)');
  // The same seed gives the same model.
  const g1 = new nn.Conv2d(3, 4, 3, { generator: new Generator(5) });
  const g2 = new nn.Conv2d(3, 4, 3, { generator: new Generator(5) });
  assert.deepEqual(g1.weight.toArray(), g2.weight.toArray());
  assert.deepEqual(g1.bias!.toArray(), g2.bias!.toArray());
});
