// Forward outputs (and a few gradients and running statistics) of every layer against
// PyTorch 1.13 after loading the same weights, all in one Python run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type Tensor } from '../tensor.js';
import { randn, tensor } from '../creation.js';
import { manualSeed } from '../runtime.js';
import { assertClose, runPyTorch } from '../testing/pytorch.js';
import * as nn from './index.js';

manualSeed(7);

const inputs: Record<string, Tensor> = {};
const actual: Record<string, Tensor> = {};
let script = `
import torch.nn as nn
def load(m, tag):
    p = tag + '__'
    sd = {k[len(p):].replace('__', '.'): v for k, v in inputs.items() if k.startswith(p)}
    m.load_state_dict(sd, strict=True)
    return m
`;

/** Sends a module's state dict to Python under `tag`; the script rebuilds it with load(Module(...), tag). */
function send(tag: string, m: nn.Module): void {
  // Cloned: state-dict values share storage with the module, whose running stats change later.
  for (const [k, t] of m.stateDict()) inputs[`${tag}__${k.replaceAll('.', '__')}`] = t.clone();
}

/** Randomises every parameter (norm weights would otherwise be ones) so loading is really tested. */
function randomise(m: nn.Module): void {
  for (const p of m.parameters()) nn.init.normal_(p, 0, 0.5);
}

function add(tag: string, m: nn.Module, pyBuild: string, x: Tensor, pyCall = `m(${tag}_x)`): Tensor {
  randomise(m);
  send(tag, m);
  inputs[`${tag}_x`] = x;
  script += `m = load(${pyBuild}, '${tag}')\nout['${tag}'] = ${pyCall}\n`;
  return m.forward(x);
}

// ---- convolutions and linear ----------------------------------------------------
const conv = new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2 });
actual.conv = add('conv', conv, 'nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2)', randn([2, 4, 9, 9]));
// Gradient through the module: loss = sum(out^2).
actual.conv.square().sum().backward();
actual.conv_grad = conv.weight.grad!;
script += `conv_m = load(nn.Conv2d(4, 6, 3, stride=2, padding=1, groups=2), 'conv')\nconv_m(conv_x).square().sum().backward()\nout['conv_grad'] = conv_m.weight.grad\n`;

actual.conv_reflect = add('conv_reflect', new nn.Conv2d(3, 4, [3, 5], { padding: 'same', dilation: 2, paddingMode: 'reflect' }),
  "nn.Conv2d(3, 4, (3, 5), padding='same', dilation=2, padding_mode='reflect')", randn([2, 3, 12, 14]));
actual.conv_circular = add('conv_circular', new nn.Conv2d(3, 4, 3, { padding: [1, 2], paddingMode: 'circular', bias: false }),
  "nn.Conv2d(3, 4, 3, padding=(1, 2), padding_mode='circular', bias=False)", randn([1, 3, 6, 7]));
actual.deconv = add('deconv', new nn.ConvTranspose2d(4, 6, 3, { stride: 2, padding: 1, outputPadding: 1, groups: 2 }),
  'nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2)', randn([2, 4, 5, 5]));
{
  const m = new nn.ConvTranspose2d(4, 3, 3, { stride: 2, padding: 1 });
  add('deconv_size', m, 'nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1)', randn([1, 4, 5, 5]), 'm(deconv_size_x, output_size=[10, 10])');
  actual.deconv_size = m.forward(inputs.deconv_size_x!, [10, 10]);
}
actual.linear = add('linear', new nn.Linear(5, 7), 'nn.Linear(5, 7)', randn([3, 2, 5]));

// ---- normalisation ----------------------------------------------------------------
{
  const bn = new nn.BatchNorm2d(4);
  randomise(bn);
  send('bn', bn);
  inputs.bn_x1 = randn([3, 4, 5, 5]).mul(2).add(1);
  inputs.bn_x2 = randn([3, 4, 5, 5]);
  actual.bn_train1 = bn.forward(inputs.bn_x1);
  actual.bn_train2 = bn.forward(inputs.bn_x2);
  actual.bn_mean = bn.runningMean!;
  actual.bn_var = bn.runningVar!;
  actual.bn_count = bn.numBatchesTracked!;
  bn.eval();
  actual.bn_eval = bn.forward(inputs.bn_x1);
  script += `m = load(nn.BatchNorm2d(4), 'bn')
out['bn_train1'] = m(bn_x1)
out['bn_train2'] = m(bn_x2)
out['bn_mean'] = m.running_mean
out['bn_var'] = m.running_var
out['bn_count'] = m.num_batches_tracked
m.eval()
out['bn_eval'] = m(bn_x1)
`;
  // momentum=null: cumulative average over the batches seen.
  const cum = new nn.BatchNorm2d(4, { momentum: null });
  send('bn_cum', cum);
  cum.forward(inputs.bn_x1);
  cum.forward(inputs.bn_x2);
  actual.bn_cum_mean = cum.runningMean!;
  actual.bn_cum_var = cum.runningVar!;
  script += `m = load(nn.BatchNorm2d(4, momentum=None), 'bn_cum')\nm(bn_x1); m(bn_x2)\nout['bn_cum_mean'] = m.running_mean\nout['bn_cum_var'] = m.running_var\n`;
}
actual.bn1d = add('bn1d', new nn.BatchNorm1d(5, { affine: false, momentum: 0.3 }), 'nn.BatchNorm1d(5, affine=False, momentum=0.3)', randn([6, 5]));
actual.bn_nostats = add('bn_nostats', new nn.BatchNorm2d(3, { trackRunningStats: false }).eval(),
  'nn.BatchNorm2d(3, track_running_stats=False).eval()', randn([2, 3, 4, 4]));
actual.sync_bn = add('sync_bn', new nn.SyncBatchNorm(3), 'nn.BatchNorm2d(3)', randn([2, 3, 4, 4]));
actual.instance_norm = add('instance_norm', new nn.InstanceNorm2d(3), 'nn.InstanceNorm2d(3)', randn([3, 5, 4]));
{
  const m = new nn.InstanceNorm2d(3, { affine: true, trackRunningStats: true });
  actual.instance_norm_tracked = add('instance_norm_tracked', m, 'nn.InstanceNorm2d(3, affine=True, track_running_stats=True)', randn([2, 3, 4, 4]),
    '(m(instance_norm_tracked_x), m.running_mean)[0]');
  actual.instance_norm_mean = m.runningMean!;
  script += "out['instance_norm_mean'] = m.running_mean\n";
}
actual.layer_norm = add('layer_norm', new nn.LayerNorm([5, 6], { eps: 1e-6 }), 'nn.LayerNorm([5, 6], eps=1e-6)', randn([2, 3, 5, 6]));
actual.group_norm = add('group_norm', new nn.GroupNorm(3, 6), 'nn.GroupNorm(3, 6)', randn([2, 6, 4, 4]));

// ---- attention ----------------------------------------------------------------------
{
  // Cross-attention, batch_first, bool key padding mask + float attention mask.
  const a = new nn.MultiheadAttention(8, 2, { batchFirst: true });
  randomise(a);
  send('mha_a', a);
  inputs.mha_a_q = randn([2, 5, 8]);
  inputs.mha_a_kv = randn([2, 7, 8]);
  inputs.mha_a_kpm = tensor([[false, false, true, false, false, false, true], [false, false, false, false, false, false, false]]);
  inputs.mha_a_mask = randn([5, 7]);
  const [outA, wA] = a.forward(inputs.mha_a_q, inputs.mha_a_kv, inputs.mha_a_kv, { keyPaddingMask: inputs.mha_a_kpm, attnMask: inputs.mha_a_mask });
  actual.mha_a_out = outA;
  actual.mha_a_w = wA!;
  // Unbatched input ignores batch_first.
  inputs.mha_u_x = randn([5, 8]);
  const [outU, wU] = a.forward(inputs.mha_u_x, inputs.mha_u_x, inputs.mha_u_x);
  actual.mha_u_out = outU;
  actual.mha_u_w = wU!;
  // Self-attention, sequence first, causal bool mask, per-head weights.
  const b = new nn.MultiheadAttention(8, 4);
  randomise(b);
  send('mha_b', b);
  inputs.mha_b_x = randn([5, 2, 8]);
  inputs.mha_b_mask = tensor([
    [false, true, true, true, true], [false, false, true, true, true], [false, false, false, true, true],
    [false, false, false, false, true], [false, false, false, false, false]]);
  const [outB, wB] = b.forward(inputs.mha_b_x, inputs.mha_b_x, inputs.mha_b_x, { attnMask: inputs.mha_b_mask, averageAttnWeights: false });
  actual.mha_b_out = outB;
  actual.mha_b_w = wB!;
  const [outB2, wB2] = b.forward(inputs.mha_b_x, inputs.mha_b_x, inputs.mha_b_x, { needWeights: false });
  actual.mha_b_out2 = outB2;
  assert.equal(wB2, null);
  // Separate k/v dims with bias_k/bias_v and a zero-attention row.
  const c = new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 4, addBiasKv: true, addZeroAttn: true });
  randomise(c);
  send('mha_c', c);
  inputs.mha_c_q = randn([4, 2, 8]);
  inputs.mha_c_k = randn([3, 2, 6]);
  inputs.mha_c_v = randn([3, 2, 4]);
  inputs.mha_c_kpm = tensor([[false, true, false], [false, false, false]]);
  const [outC, wC] = c.forward(inputs.mha_c_q, inputs.mha_c_k, inputs.mha_c_v, { keyPaddingMask: inputs.mha_c_kpm });
  actual.mha_c_out = outC;
  actual.mha_c_w = wC!;
  script += `a = load(nn.MultiheadAttention(8, 2, batch_first=True), 'mha_a')
out['mha_a_out'], out['mha_a_w'] = a(mha_a_q, mha_a_kv, mha_a_kv, key_padding_mask=mha_a_kpm, attn_mask=mha_a_mask)
out['mha_u_out'], out['mha_u_w'] = a(mha_u_x, mha_u_x, mha_u_x)
b = load(nn.MultiheadAttention(8, 4), 'mha_b')
out['mha_b_out'], out['mha_b_w'] = b(mha_b_x, mha_b_x, mha_b_x, attn_mask=mha_b_mask, average_attn_weights=False)
out['mha_b_out2'] = b(mha_b_x, mha_b_x, mha_b_x, need_weights=False)[0]
c = load(nn.MultiheadAttention(8, 2, kdim=6, vdim=4, add_bias_kv=True, add_zero_attn=True), 'mha_c')
out['mha_c_out'], out['mha_c_w'] = c(mha_c_q, mha_c_k, mha_c_v, key_padding_mask=mha_c_kpm)
out['mha_c_names'] = torch.tensor(list(' '.join(n for n, _ in c.named_parameters()).encode()), dtype=torch.float64)
`;
  actual.mha_c_names = tensor(Array.from(c.namedParameters().map(([n]) => n).join(' '), (ch) => ch.charCodeAt(0)), { dtype: 'float64' });
}

// ---- embedding, pooling, upsampling ----------------------------------------------
{
  const e = new nn.Embedding(10, 4, { paddingIdx: 0 });
  assert.deepEqual(e.weight.select(0, 0).toArray(), [0, 0, 0, 0], 'the padding row starts at zero');
  actual.embedding = add('embedding', e, 'nn.Embedding(10, 4, padding_idx=0)', tensor([[0, 3, 9], [2, 2, 0]], { dtype: 'int64' }));
}
const px = randn([2, 3, 9, 11]);
actual.max_pool = add('max_pool', new nn.MaxPool2d(3, { stride: 2, padding: 1, ceilMode: true }), 'nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True)', px);
actual.avg_pool = add('avg_pool', new nn.AvgPool2d(3, { stride: 2, padding: 1, countIncludePad: false }), 'nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)', px);
actual.adaptive_avg = add('adaptive_avg', new nn.AdaptiveAvgPool2d([3, null]), 'nn.AdaptiveAvgPool2d((3, None))', px);
actual.adaptive_max = add('adaptive_max', new nn.AdaptiveMaxPool2d(2), 'nn.AdaptiveMaxPool2d(2)', px);
actual.up_bilinear = add('up_bilinear', new nn.Upsample({ scaleFactor: 2, mode: 'bilinear' }), "nn.Upsample(scale_factor=2, mode='bilinear')", px);
actual.up_nearest = add('up_nearest', new nn.Upsample({ size: [7, 5] }), 'nn.Upsample(size=(7, 5))', px);
actual.up_align = add('up_align', new nn.UpsamplingBilinear2d({ scaleFactor: 1.5 }), 'nn.UpsamplingBilinear2d(scale_factor=1.5)', px);
actual.flatten = add('flatten', new nn.Flatten(), 'nn.Flatten()', px);

// ---- activations --------------------------------------------------------------------
const ax = randn([2, 3, 4]).mul(4);
const activations: [string, nn.Module, string][] = [
  ['relu6', new nn.ReLU6(), 'nn.ReLU6()'],
  ['gelu_tanh', new nn.GELU('tanh'), "nn.GELU(approximate='tanh')"],
  ['silu', new nn.SiLU(), 'nn.SiLU()'],
  ['hardswish', new nn.Hardswish(), 'nn.Hardswish()'],
  ['hardsigmoid', new nn.Hardsigmoid(), 'nn.Hardsigmoid()'],
  ['leaky', new nn.LeakyReLU({ negativeSlope: 0.2 }), 'nn.LeakyReLU(0.2)'],
  ['softmax_implicit', new nn.Softmax(), 'nn.Softmax()'],
  ['softmax_last', new nn.Softmax(-1), 'nn.Softmax(dim=-1)'],
  ['prelu', new nn.PReLU({ numParameters: 3, init: 0.1 }), 'nn.PReLU(3, init=0.1)'],
];
script += 'import warnings\nwarnings.simplefilter("ignore")\n';
for (const [tag, m, py] of activations) actual[tag] = add(tag, m, py, ax);

const expected = runPyTorch(script, inputs);

const TOLERANCES: Partial<Record<string, { rtol: number; atol: number }>> = {
  conv_grad: { rtol: 1e-4, atol: 1e-4 },
};

test('every layer matches PyTorch 1.13 after loading the same weights', () => {
  const names = Object.keys(actual);
  assert.deepEqual(names.slice().sort(), Object.keys(expected).sort());
  for (const name of names) {
    assertClose(actual[name]!, expected[name]!, { ...(TOLERANCES[name] ?? { rtol: 1e-4, atol: 1e-5 }), name });
  }
});

test('BatchNorm2d training updates running stats and num_batches_tracked as PyTorch', () => {
  assert.equal(actual.bn_count!.item(), 2);
  assert.equal(actual.bn_count!.dtype, 'int64');
  // Sanity: the running mean moved towards the batches' means (fails if stats were not updated).
  assert.ok(actual.bn_mean!.abs().sum().item() > 0);
});

test('layers reject bad arguments with messages that name the layer and the values', () => {
  assert.throws(() => new nn.Conv2d(6, 8, 3, { groups: 4 }), /Conv2d: in_channels must be divisible by groups \(got 6 and 4\)/);
  assert.throws(() => new nn.Conv2d(4, 8, 3, { padding: 'same', stride: 2 }), /padding='same' is not supported for strided convolutions/);
  assert.throws(() => new nn.GroupNorm(4, 6), /GroupNorm: num_channels must be divisible by num_groups \(got 6 and 4\)/);
  assert.throws(() => new nn.MultiheadAttention(10, 3), /embed_dim must be divisible by num_heads \(got 10 and 3\)/);
  assert.throws(() => new nn.Dropout(1.5), /Dropout: dropout probability has to be between 0 and 1, but got 1.5/);
  assert.throws(() => new nn.BatchNorm2d(3).forward(randn([3, 4])), /BatchNorm2d: expected 4D input \(got 2D input\)/);
  assert.throws(() => new nn.LayerNorm(4).forward(randn([2, 5])), /LayerNorm: input of shape \[2, 5\] does not end with normalized_shape \[4\]/);
  assert.throws(() => new nn.ConvTranspose2d(2, 2, 3, { stride: 2 }).forward(randn([1, 2, 4, 4]), [20, 20]), /dimension 0 must be in 9\.\.10/);
});

test('dropout layers are identity in eval mode and drop in train mode', () => {
  const x = randn([64, 16, 2, 2]).abs().add(1);
  for (const m of [new nn.Dropout(0.5), new nn.Dropout2d(0.5), new nn.DropPath(0.5)]) {
    m.eval();
    assert.ok(m.forward(x).allclose(x, 0, 0), `${m.className} in eval mode`);
    m.train();
    const y = m.forward(x);
    const zeros = y.eq(0).sum().item() / y.numel;
    assert.ok(zeros > 0.35 && zeros < 0.65, `${m.className} drops about half (got ${zeros})`);
    const kept = y.ne(0);
    assertClose(y.maskedSelect(kept), x.maskedSelect(kept).mul(2), { name: `${m.className} scales survivors by 1/(1-p)` });
  }
  // DropPath drops whole samples.
  const y = new nn.DropPath(0.5).forward(x);
  for (let i = 0; i < 64; i++) {
    const row = y.select(0, i);
    const nz = row.ne(0).sum().item();
    assert.ok(nz === 0 || nz === row.numel, 'whole sample kept or dropped');
  }
});

test('SyncBatchNorm.convertSyncBatchnorm swaps BatchNorm layers and shares their tensors', () => {
  const net = new nn.Sequential(new nn.Conv2d(3, 4, 1), new nn.BatchNorm2d(4), new nn.Sequential(new nn.BatchNorm2d(4)));
  const oldBn = net.at(1) as nn.BatchNorm2d;
  const converted = nn.SyncBatchNorm.convertSyncBatchnorm(net) as nn.Sequential;
  assert.equal(converted, net);
  const bn = net.at(1) as nn.SyncBatchNorm;
  assert.ok(bn instanceof nn.SyncBatchNorm);
  assert.equal(bn.weight, oldBn.weight);
  assert.equal(bn.runningMean, oldBn.runningMean);
  assert.ok((net.at(2) as nn.Sequential).at(0) instanceof nn.SyncBatchNorm);
  assert.deepEqual([...net.stateDict().keys()].slice(2, 7), ['1.weight', '1.bias', '1.running_mean', '1.running_var', '1.num_batches_tracked']);
});
