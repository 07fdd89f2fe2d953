import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from './index.js';
import { runPyTorch, assertClose } from './testing/pytorch.js';

test('creation from nested arrays and typed arrays keeps shape, dtype and values', () => {
  const a = T.tensor([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(a.shape, [2, 3]);
  assert.equal(a.dtype, 'float32');
  assert.deepEqual(a.tolist(), [[1, 2, 3], [4, 5, 6]]);
  const b = T.tensor(new Int32Array([7, 8, 9, 10]), { shape: [2, 2] });
  assert.equal(b.dtype, 'int32');
  assert.deepEqual(b.toArray(), [7, 8, 9, 10]);
  const c = T.tensor([1, 2], { dtype: 'int64' });
  assert.equal(c.dtype, 'int64');
  assert.deepEqual(c.toArray(), [1, 2]);
  assert.equal(T.tensor([true, false]).dtype, 'bool');
  assert.deepEqual(T.tensor([1.5, 2.5], { dtype: 'bfloat16' }).toArray(), [1.5, 2.5]);
  assert.deepEqual(T.tensor([1.5, 2.5], { dtype: 'float16' }).data(), new Float32Array([1.5, 2.5]));
});

test('factories: zeros/ones/full/arange/linspace/eye', () => {
  assert.deepEqual(T.zeros([2, 2]).toArray(), [0, 0, 0, 0]);
  assert.deepEqual(T.ones([3], { dtype: 'int32' }).toArray(), [1, 1, 1]);
  assert.deepEqual(T.full([2], 7.5).toArray(), [7.5, 7.5]);
  const r = T.arange(5);
  assert.equal(r.dtype, 'int64');
  assert.deepEqual(r.toArray(), [0, 1, 2, 3, 4]);
  assert.deepEqual(T.arange(1, 2, 0.25).toArray(), [1, 1.25, 1.5, 1.75]);
  assert.deepEqual(T.linspace(0, 1, 3).toArray(), [0, 0.5, 1]);
  assert.deepEqual(T.eye(2).toArray(), [1, 0, 0, 1]);
});

test('a seeded generator gives the same draws as PyTorch with the same seed', () => {
  const g = new T.Generator(1234);
  const a = T.randn([5], { generator: g });
  const u = T.rand([4], { generator: g.manualSeed(7) });
  const n = T.zeros([3]).normal_(2, 0.5, new T.Generator(99));
  const v = T.zeros([3]).uniform_(-1, 1, new T.Generator(5));
  const ref = runPyTorch(`
g = torch.Generator().manual_seed(1234)
out['a'] = torch.randn(5, generator=g)
g.manual_seed(7)
out['u'] = torch.rand(4, generator=g)
out['n'] = torch.zeros(3).normal_(2, 0.5, generator=torch.Generator().manual_seed(99))
out['v'] = torch.zeros(3).uniform_(-1, 1, generator=torch.Generator().manual_seed(5))
`);
  assertClose(a, ref.a!, { name: 'randn' });
  assertClose(u, ref.u!, { name: 'rand' });
  assertClose(n, ref.n!, { name: 'normal_' });
  assertClose(v, ref.v!, { name: 'uniform_' });
  T.manualSeed(3);
  const x1 = T.randn([4]).toArray();
  T.manualSeed(3);
  assert.deepEqual(T.randn([4]).toArray(), x1);
  const state = T.getRngState();
  const next = T.rand([4]).toArray();
  assert.notDeepEqual(T.rand([4]).toArray(), next);
  T.setRngState(state);
  assert.deepEqual(T.rand([4]).toArray(), next, 'restoring the RNG state replays the same draws');
});

test('elementwise math, comparisons and reductions', () => {
  const x = T.tensor([[1, -2], [3, -4]]);
  assert.deepEqual(x.add(1).toArray(), [2, -1, 4, -3]);
  assert.deepEqual(x.add(x, 2).toArray(), [3, -6, 9, -12]);
  assert.deepEqual(x.mul(x).toArray(), [1, 4, 9, 16]);
  assert.deepEqual(x.abs().sqrt().mul(x.abs().sqrt()).round().toArray(), [1, 2, 3, 4]);
  assert.deepEqual(x.gt(0).toArray(), [1, 0, 1, 0]);
  assert.equal(x.sum().item(), -2);
  assert.deepEqual(x.sum(0).toArray(), [4, -6]);
  assert.deepEqual(x.sum(1, { keepdim: true }).shape, [2, 1]);
  assert.equal(x.mean().item(), -0.5);
  assert.deepEqual(x.max(1).toArray(), [1, 3]);
  assert.deepEqual(x.argmax(1).toArray(), [0, 0]);
  assert.deepEqual(x.maxWithIndices(0).indices.toArray(), [1, 0]);
  assert.deepEqual(x.matmul(x).toArray(), [-5, 6, -9, 10]);
  assert.deepEqual(x.clamp(-1, 1).toArray(), [1, -1, 1, -1]);
  assert.equal(T.tensor([1, 2, 3, 4]).var().item(), Math.fround(5 / 3));
  assert.deepEqual(x.where(x.gt(0), 0).toArray(), [1, 0, 3, 0]);
  const y = T.zeros([2]);
  y.add_(T.tensor([1, 2])).mul_(3).addcmul_(T.tensor([1, 1]), T.tensor([2, 2]), 0.5);
  assert.deepEqual(y.toArray(), [4, 7]);
});

test('views and indexing', () => {
  const x = T.arange(24).view(2, 3, 4);
  assert.deepEqual(x.permute(2, 0, 1).shape, [4, 2, 3]);
  assert.deepEqual(x.flatten(1).shape, [2, 12]);
  assert.deepEqual(x.select(0, 1).select(0, 2).toArray(), [20, 21, 22, 23]);
  assert.deepEqual(x.slice(2, 1, 3).shape, [2, 3, 2]);
  assert.deepEqual(x.narrow(1, 0, 1).flatten().toArray(), [0, 1, 2, 3, 12, 13, 14, 15]);
  assert.deepEqual(x.unsqueeze(0).shape, [1, 2, 3, 4]);
  assert.deepEqual(x.chunk(2, 2).map((t) => t.shape), [[2, 3, 2], [2, 3, 2]]);
  const idx = T.tensor([2, 0], { dtype: 'int64' });
  assert.deepEqual(x.index([null, idx, null]).select(0, 0).select(1, 0).toArray(), [8, 0]);
  assert.deepEqual(T.cat([T.ones([1, 2]), T.zeros([1, 2])], 0).toArray(), [1, 1, 0, 0]);
  assert.deepEqual(T.stack([T.ones([2]), T.zeros([2])], 1).shape, [2, 2]);
});

test('to() converts dtype and validates devices', () => {
  const x = T.tensor([1.7, -2.2]);
  assert.deepEqual(x.to('int64').toArray(), [1, -2]);
  assert.equal(x.to({ dtype: 'float64' }).dtype, 'float64');
  assert.equal(x.to('cpu').device, 'cpu');
  assert.throws(() => x.to('tpu'), /unknown dtype 'tpu'/);
  assert.throws(() => T.zeros([2], { device: 'gpu' }), /gpu/);
  if (!T.cuda.isAvailable()) assert.throws(() => T.checkDevice('cuda'), /not available/);
});

test('autograd: backward, grad, noGrad, detach, autograd.grad', () => {
  const w = T.tensor([1, 2, 3], { requiresGrad: true });
  const loss = w.mul(w).sum();
  assert.equal(loss.gradFn, 'SumBackward0');
  loss.backward();
  assert.deepEqual(w.grad!.toArray(), [2, 4, 6]);
  w.mul(3).sum().backward();
  assert.deepEqual(w.grad!.toArray(), [5, 7, 9]);
  w.grad = null;
  assert.equal(w.grad, null);
  const z = T.noGrad(() => w.mul(2));
  assert.equal(z.requiresGrad, false);
  assert.equal(T.isGradEnabled(), true);
  assert.equal(w.detach().requiresGrad, false);
  const [g] = T.grad(w.pow(3).sum(), w);
  assert.deepEqual(g!.toArray(), [3, 12, 27]);
});

test('bad inputs raise clear JS errors', () => {
  const a = T.ones([2, 3]);
  assert.throws(() => a.add(T.ones([4, 5])), /aten::add\.Tensor: The size of tensor a \(3\) must match/);
  assert.throws(() => a.matmul(T.ones([2, 3])), /aten::matmul: .*cannot be multiplied/);
  assert.throws(() => T.tensor([1, 2, 3], { shape: [2, 2] }), /needs 4 elements/);
  assert.throws(() => a.add('x' as unknown as number), /argument 'other' expected a number, got string/);
  assert.throws(() => T.zeros([2], { dtype: 'float128' }), /unknown dtype 'float128'/);
  assert.throws(() => T.ones([2], { dtype: 'int64' }).requiresGrad_(true), /Only Tensors of floating point/);
  const d = T.ones([2]);
  d.dispose();
  assert.equal(d.isDisposed, true);
  assert.throws(() => d.add(1), /disposed/);
  assert.throws(() => T.callOp('no_such_op'), /unknown operator aten::no_such_op/);
  assert.throws(() => T.ones([1]).item.call(T.ones([2])), /2 elements cannot be converted/);
});

test('isContiguous follows PyTorch: transposes and narrowed views are not, size-1 dims are ignored', () => {
  const a = T.randn([2, 3, 4]);
  assert.equal(a.isContiguous(), true);
  assert.equal(a.transpose(0, 1).isContiguous(), false);
  assert.equal(a.narrow(2, 0, 2).isContiguous(), false);
  assert.equal(T.randn([3, 1]).transpose(0, 1).isContiguous(), true);
  assert.equal(a.permute(2, 0, 1).contiguous().isContiguous(), true);
  assert.equal(T.zeros([0, 3]).isContiguous(), true);
});
