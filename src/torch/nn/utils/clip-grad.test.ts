// clipGradNorm_ / clipGradValue_ against torch.nn.utils (one PyTorch run for all cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor } from '../../tensor.js';
import { tensor } from '../../creation.js';
import { tidy } from '../../memory.js';
import { native } from '../../native.js';
import { runPyTorch, assertClose } from '../../testing/pytorch.js';
import { clipGradNorm_, clipGradValue_ } from './index.js';

const fill = (shape: number[], f: (i: number) => number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return tensor(Float32Array.from({ length: n }, (_, i) => f(i)), { shape });
};
const inputs = {
  g0: fill([3, 4], (i) => Math.sin(i * 1.3) * 2),
  g1: fill([5], (i) => Math.cos(i * 0.7) - 0.2),
  g2: fill([], () => -3.5),
};
// [maxNorm, normType]: clipping (small maxNorm) and no clipping (coefficient clamped to 1).
const NORM_CASES: [number, number][] = [[1, 2], [100, 2], [0.5, 1], [2, 3], [1, Infinity], [50, Infinity]];
const VALUES = [0.5, 10];

const SCRIPT = `
import math
cases = ${JSON.stringify(NORM_CASES.map(([m, n]) => [m, n === Infinity ? 'inf' : n]))}
for i, (max_norm, norm_type) in enumerate(cases):
    ps = [torch.zeros_like(g, requires_grad=True) for g in (g0, g1, g2)]
    for p, g in zip(ps, (g0, g1, g2)):
        p.grad = g.clone()
    out[f'norm{i}'] = torch.nn.utils.clip_grad_norm_(ps, max_norm, float(norm_type))
    for k, p in enumerate(ps):
        out[f'norm{i}_g{k}'] = p.grad
ps = [torch.zeros_like(g0, requires_grad=True)]
ps[0].grad = g0.clone()
out['single_inf'] = torch.nn.utils.clip_grad_norm_(ps[0], 1.0, math.inf)
out['single_inf_g'] = ps[0].grad
for i, v in enumerate(${JSON.stringify(VALUES)}):
    ps = [torch.zeros_like(g, requires_grad=True) for g in (g0, g1)]
    for p, g in zip(ps, (g0, g1)):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(ps, v)
    for k, p in enumerate(ps):
        out[f'value{i}_g{k}'] = p.grad
`;
const ref = runPyTorch(SCRIPT, inputs);

function withGrads(grads: Tensor[]): Tensor[] {
  return grads.map((g) => {
    const p = g.mul(0).requiresGrad_();
    tidy(() => { p.grad = g.clone(); });
    return p;
  });
}
const allGrads = (): Tensor[] => [inputs.g0, inputs.g1, inputs.g2];

NORM_CASES.forEach(([maxNorm, normType], i) => {
  test(`clipGradNorm_ maxNorm=${maxNorm} normType=${normType} returns the total norm and scales grads as PyTorch`, () => {
    const params = withGrads(allGrads());
    const total = clipGradNorm_(params, maxNorm, normType);
    assert.equal(typeof total, 'number');
    assertClose(tensor([total], { dtype: 'float64' }).reshape(), ref[`norm${i}`]!, { name: 'total norm' });
    params.forEach((p, k) => assertClose(p.grad!, ref[`norm${i}_g${k}`]!, { name: `grad ${k}` }));
  });
});

test('clipGradNorm_ takes a single tensor (inf norm)', () => {
  const [p] = withGrads([inputs.g0]);
  const total = clipGradNorm_(p!, 1.0, Infinity);
  assertClose(tensor([total], { dtype: 'float64' }).reshape(), ref.single_inf!, { name: 'total norm' });
  assertClose(p!.grad!, ref.single_inf_g!, { name: 'grad' });
});

test('clipGradNorm_ skips parameters without grads and returns 0 when none has one', () => {
  const bare = inputs.g1.mul(0).requiresGrad_();
  assert.equal(clipGradNorm_([bare], 1), 0);
  const params = [...withGrads([inputs.g0]), bare];
  const total = clipGradNorm_(params, 100);
  assert.ok(Math.abs(total - inputs.g0.norm().item()) < 1e-5);
  assert.equal(bare.grad, null);
});

test('clipGradNorm_ with errorIfNonfinite throws on inf/nan norms, and otherwise scales by them', () => {
  const params = withGrads([tensor([1, Infinity, 2])]);
  assert.throws(() => clipGradNorm_(params, 1, 2, true), /total norm of order 2 for gradients is non-finite/);
  assert.deepEqual(params[0]!.grad!.toArray(), [1, Infinity, 2], 'grads untouched when it throws');
  assert.equal(clipGradNorm_(params, 1), Infinity);
  assert.deepEqual(params[0]!.grad!.toArray(), [0, NaN, 0]);
});

VALUES.forEach((v, i) => {
  test(`clipGradValue_ ${v} clamps every grad as PyTorch`, () => {
    const params = withGrads([inputs.g0, inputs.g1]);
    clipGradValue_(params, v);
    params.forEach((p, k) => assertClose(p.grad!, ref[`value${i}_g${k}`]!, { name: `grad ${k}` }));
  });
});

test('clipping leaks no tensors', () => {
  const params = withGrads(allGrads());
  clipGradNorm_(params, 1);
  const before = native.liveHandles();
  for (let i = 0; i < 20; i++) {
    clipGradNorm_(params, 1, i % 2 ? Infinity : 2);
    clipGradValue_(params, 0.5);
  }
  assert.equal(native.liveHandles(), before);
});
