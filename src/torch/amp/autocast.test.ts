// Tests for autocast regions: CPU bfloat16 policy against PyTorch, nesting, restore, errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, op, randn, randint, tidy, cuda, manualSeed, type DType } from '../index.js';
import { assertClose, runPyTorch } from '../testing/pytorch.js';
import { autocast, autocastDepth, autocastState, enterAutocast, exitAutocast } from './autocast.js';

const bf16 = { deviceType: 'cpu', dtype: 'bfloat16' } as const;
const conv2d = (x: Tensor, w: Tensor, b: Tensor): Tensor => op('conv2d', x, w, b, [1, 1], [1, 1]);
const linear = (x: Tensor, w: Tensor, b: Tensor): Tensor => op('linear', x, w, b);

test('matmul, conv2d and linear run in bfloat16 inside a CPU region and float32 outside', () => tidy(() => {
  const a = randn([4, 5]);
  const b = randn([5, 3]);
  const x = randn([1, 2, 6, 6]);
  const w = randn([3, 2, 3, 3]);
  const cb = randn([3]);
  const inside = autocast(() => ({
    matmul: a.matmul(b).dtype,
    mm: a.mm(b).dtype,
    conv: conv2d(x, w, cb).dtype,
    linear: linear(a, b.t(), randn([3])).dtype,
    state: autocastState('cpu'),
  }), bf16);
  assert.deepEqual(inside, { matmul: 'bfloat16', mm: 'bfloat16', conv: 'bfloat16', linear: 'bfloat16', state: { enabled: true, dtype: 'bfloat16' } });
  assert.equal(a.matmul(b).dtype, 'float32');
  assert.equal(conv2d(x, w, cb).dtype, 'float32');
  assert.equal(autocastState('cpu').enabled, false);
  assert.equal(autocastDepth(), 0);
}));

test('the CPU region defaults to bfloat16, like torch.autocast("cpu")', () => tidy(() => {
  const dtype = autocast(() => randn([2, 2]).matmul(randn([2, 2])).dtype, { deviceType: 'cpu' });
  assert.equal(dtype, 'bfloat16');
}));

test('reductions, softmax and losses follow libtorch CPU autocast policy (same dtypes as PyTorch)', () => tidy(() => {
  const a = randn([5, 6]);
  const b = randn([6, 7]);
  const target = randint(0, 7, [5]);
  const ours: Record<string, DType> = autocast(() => {
    const y = a.matmul(b);
    return {
      softmax_f32: op('softmax.int', a, -1, null).dtype,
      softmax_bf16: op('softmax.int', y, -1, null).dtype,
      log_softmax_bf16: op('log_softmax.int', y, -1, null).dtype,
      sum: y.sum().dtype,
      mean: y.mean().dtype,
      prod: y.prod().dtype,
      relu: y.relu().dtype,
      add_f32: y.add(a.slice(1, 0, 1)).dtype,
      mse_loss: op('mse_loss', y, y.detach()).dtype,
      nll_loss: op('nll_loss', op('log_softmax.int', y, -1, null), target).dtype,
      layer_norm: op('layer_norm', y, [7]).dtype,
    };
  }, bf16);
  const py = runPyTorch(`
import torch.nn.functional as F
code = {torch.float32: 6, torch.bfloat16: 15, torch.float64: 7}
with torch.autocast('cpu', dtype=torch.bfloat16):
    y = a @ b
    r = dict(softmax_f32=F.softmax(a, -1), softmax_bf16=F.softmax(y, -1), log_softmax_bf16=F.log_softmax(y, -1),
             sum=y.sum(), mean=y.mean(), prod=y.prod(), relu=y.relu(), add_f32=y + a[:, 0:1],
             mse_loss=F.mse_loss(y, y.detach()), nll_loss=F.nll_loss(F.log_softmax(y, -1), target),
             layer_norm=F.layer_norm(y, (7,)))
for k, v in r.items():
    out[k] = torch.tensor(code[v.dtype])
`, { a, b, target });
  const names: Record<number, DType> = { 6: 'float32', 15: 'bfloat16', 7: 'float64' };
  const theirs = Object.fromEntries(Object.entries(py).map(([k, t]) => [k, names[t.item()]!]));
  assert.deepEqual(ours, theirs);
  // The policy is not trivial: some ops are forced to float32, others follow their input.
  assert.equal(ours.prod, 'float32');
  assert.equal(ours.softmax_bf16, 'bfloat16');
}));

test('a conv + linear computation matches torch.autocast("cpu", bfloat16), and grads reach float32 params', () => tidy(() => {
  manualSeed(3);
  const x = randn([2, 3, 8, 8]);
  const w = randn([4, 3, 3, 3]).mul(0.3).requiresGrad_();
  const cb = randn([4]).mul(0.1).requiresGrad_();
  const lw = randn([5, 4 * 8 * 8]).mul(0.05).requiresGrad_();
  const lb = randn([5]).mul(0.1).requiresGrad_();
  const y = autocast(() => linear(conv2d(x, w, cb).relu().flatten(1), lw, lb), bf16);
  assert.equal(y.dtype, 'bfloat16');
  y.float().square().sum().backward();
  const grads = [w, cb, lw, lb].map((p) => p.grad!);
  assert.deepEqual(grads.map((g) => g.dtype), ['float32', 'float32', 'float32', 'float32']);
  const ref = runPyTorch(`
import torch.nn.functional as F
params = [w, cb, lw, lb]
for p in params:
    p.requires_grad_()
with torch.autocast('cpu', dtype=torch.bfloat16):
    y = F.linear(F.conv2d(x, w, cb, 1, 1).relu().flatten(1), lw, lb)
assert y.dtype == torch.bfloat16
y.float().square().sum().backward()
assert all(p.grad.dtype == torch.float32 for p in params)
out['y'] = y.float()
out['gw'], out['gcb'], out['glw'], out['glb'] = [p.grad for p in params]
`, { x, w: w.detach(), cb: cb.detach(), lw: lw.detach(), lb: lb.detach() });
  assertClose(y.float(), ref.y!, { rtol: 1e-2, atol: 1e-2, name: 'y' });
  const names = ['gw', 'gcb', 'glw', 'glb'];
  grads.forEach((g, i) => {
    const expected = ref[names[i]!]!;
    const scale = expected.abs().max().item();
    assertClose(g, expected, { rtol: 2e-2, atol: 2e-2 * scale, name: names[i] });
  });
}));

test('nested regions: an inner enabled: false region runs float32, then the outer state returns', () => tidy(() => {
  const a = randn([3, 3]);
  const seen = autocast(() => {
    const outer1 = a.matmul(a).dtype;
    const inner = autocast(() => a.matmul(a).dtype, { deviceType: 'cpu', enabled: false });
    const innerState = autocastDepth();
    const outer2 = a.matmul(a).dtype;
    return { outer1, inner, outer2, innerState };
  }, bf16);
  assert.deepEqual(seen, { outer1: 'bfloat16', inner: 'float32', outer2: 'bfloat16', innerState: 1 });
  assert.equal(autocastState('cpu').enabled, false);
}));

test('the previous state is restored when fn throws', () => {
  assert.throws(() => autocast(() => {
    assert.equal(autocastState('cpu').enabled, true);
    throw new Error('boom');
  }, bf16), /boom/);
  assert.deepEqual(autocastState('cpu'), { enabled: false, dtype: 'bfloat16' });
  assert.equal(autocastDepth(), 0);
  tidy(() => assert.equal(randn([2, 2]).matmul(randn([2, 2])).dtype, 'float32'));
});

test('float16 on CPU raises a clear error and changes nothing', () => {
  assert.throws(() => autocast(() => 1, { deviceType: 'cpu', dtype: 'float16' }),
    { message: "autocast: float16 is not supported on CPU (libtorch's CPU autocast only supports bfloat16); use dtype 'bfloat16'" });
  assert.deepEqual(autocastState('cpu'), { enabled: false, dtype: 'bfloat16' });
  assert.equal(autocastDepth(), 0);
});

test('bad options raise: unknown device type, unknown dtype, cacheEnabled false', () => {
  assert.throws(() => autocast(() => 1, { deviceType: 'tpu' as 'cpu' }), /deviceType must be 'cpu' or 'cuda', got "tpu"/);
  assert.throws(() => autocast(() => 1, { deviceType: 'cpu', dtype: 'float32' as 'bfloat16' }), /dtype must be 'bfloat16' or 'float16', got "float32"/);
  assert.throws(() => autocast(() => 1, { deviceType: 'cpu', cacheEnabled: false }), /cacheEnabled: false is not supported/);
  assert.equal(autocastDepth(), 0);
});

test("deviceType 'cuda' raises when CUDA is not available", { skip: cuda.isAvailable() }, () => {
  assert.throws(() => autocast(() => 1, { deviceType: 'cuda' }), /CUDA is not available/);
  assert.equal(autocastState('cuda').enabled, false);
});

test('a CUDA region leaves the CPU state alone and defaults to float16', { skip: !cuda.isAvailable() }, () => tidy(() => {
  const a = randn([4, 4], { device: 'cuda' });
  const r = autocast(() => ({ dtype: a.matmul(a).dtype, cpu: autocastState('cpu').enabled }), { deviceType: 'cuda' });
  assert.deepEqual(r, { dtype: 'float16', cpu: false });
}));

test('enterAutocast/exitAutocast bracket a region; exits must be innermost first', () => tidy(() => {
  const a = randn([2, 2]);
  const outer = enterAutocast(bf16);
  const inner = enterAutocast({ deviceType: 'cpu', enabled: false });
  assert.equal(a.matmul(a).dtype, 'float32');
  assert.throws(() => exitAutocast(outer), /not the innermost open autocast region/);
  exitAutocast(inner);
  assert.equal(a.matmul(a).dtype, 'bfloat16');
  exitAutocast(outer);
  assert.equal(a.matmul(a).dtype, 'float32');
  assert.throws(() => exitAutocast(outer), /not an open autocast region/);
  assert.equal(autocastDepth(), 0);
}));

test('an async fn is refused and the state is restored', async () => {
  assert.throws(() => autocast(async () => 1, bf16), /fn must be synchronous/);
  assert.equal(autocastState('cpu').enabled, false);
  assert.equal(autocastDepth(), 0);
});

test('layer_norm and group_norm on a bfloat16 activation run in float32 under CPU autocast (as PyTorch 2.x)', async () => {
  const T = await import('../index.js');
  const x = T.randn([2, 8, 4, 4]);
  const w = T.randn([8, 8, 1, 1]);
  const lnW = T.ones([8]);
  const lnB = T.zeros([8]);
  const [ln, gn] = autocast(() => {
    const y = T.F.conv2d(x, w);
    assert.equal(y.dtype, 'bfloat16');
    return [T.F.layerNorm(y.permute(0, 2, 3, 1), [8], { weight: lnW, bias: lnB }), T.F.groupNorm(y, 2, { weight: lnW, bias: lnB })];
  }, { deviceType: 'cpu' });
  assert.equal(ln!.dtype, 'float32');
  assert.equal(gn!.dtype, 'float32');
});
