import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { SegformerHead } from './segformer-head.js';
import { MixVisionTransformer } from '../backbones/mit.js';
import '../backbones/mit.js'; // registers MixVisionTransformer
import { SD_PRELUDE, randomizeParameters, stateInputs } from '../backbones/test-utils.js';
import type { SegDataSample } from '../../structures/seg-data-sample.js';

process.removeAllListeners('warning');

/** MMSeg's configs/_base_/models/segformer_mit-b0.py decode_head. */
const B0_HEAD = {
  type: 'SegformerHead',
  in_channels: [32, 64, 160, 256],
  in_index: [0, 1, 2, 3],
  channels: 256,
  dropout_ratio: 0.1,
  num_classes: 19,
  norm_cfg: { type: 'SyncBN', requires_grad: true },
  align_corners: false,
  loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
};

test("SegformerHead (MiT-b0 config) names and shapes equal MMSeg's: convs.i, fusion_conv, conv_seg", () => {
  const head = MODELS.build<SegformerHead>(B0_HEAD);
  const bn = (p: string): string[] => [`${p}.bn.weight [256]`, `${p}.bn.bias [256]`, `${p}.bn.running_mean [256]`, `${p}.bn.running_var [256]`, `${p}.bn.num_batches_tracked []`];
  assert.deepEqual([...head.stateDict()].map(([k, v]) => `${k} [${v.shape.join(', ')}]`), [
    'conv_seg.weight [19, 256, 1, 1]', 'conv_seg.bias [19]',
    ...[32, 64, 160, 256].flatMap((c, i) => [`convs.${i}.conv.weight [256, ${c}, 1, 1]`, ...bn(`convs.${i}`)]),
    'fusion_conv.conv.weight [256, 1024, 1, 1]', ...bn('fusion_conv'),
  ]);
  assert.throws(() => MODELS.build({ ...B0_HEAD, input_transform: 'resize_concat' }), /unknown key 'input_transform'/);
  head.dispose();
});

test('SegformerHead forward (eval) equals PyTorch: 1x1 ConvModules, bilinear resize to the first map, fusion, conv_seg', () => {
  torch.manualSeed(31);
  const head = new SegformerHead({ in_channels: [4, 6, 8], in_index: [0, 2, 3], channels: 5, num_classes: 3, norm_cfg: { type: 'BN' } });
  randomizeParameters(head, 0.3);
  torch.noGrad(() => {
    for (const [n, b] of head.namedBuffers()) if (n.endsWith('running_var')) b.uniform_(0.5, 1.5);
  });
  head.eval();
  const inputs = [torch.randn([2, 4, 8, 8]), torch.randn([2, 1, 1, 1]), torch.randn([2, 6, 4, 4]), torch.randn([2, 8, 2, 3])];
  const logits = head.forward(inputs);
  const py = runPyTorch(`
import torch.nn.functional as F
${SD_PRELUDE}
def cm(x, p, act=True):
    y = F.conv2d(x, sd[p + '.conv.weight'])
    y = F.batch_norm(y, sd[p + '.bn.running_mean'], sd[p + '.bn.running_var'], sd[p + '.bn.weight'], sd[p + '.bn.bias'], False, 0.1, 1e-5)
    return F.relu(y) if act else y
outs = [F.interpolate(cm(x, 'convs.%d' % i), size=(8, 8), mode='bilinear', align_corners=False) for i, x in enumerate([x0, x2, x3])]
y = F.relu(cm(torch.cat(outs, 1), 'fusion_conv', act=False))
out['logits'] = F.conv2d(y, sd['conv_seg.weight'], sd['conv_seg.bias'])
`, { x0: inputs[0]!, x2: inputs[2]!, x3: inputs[3]!, ...stateInputs(head) });
  assert.deepEqual(logits.shape, [2, 3, 8, 8]);
  assertClose(logits, py.logits!, { atol: 1e-4, rtol: 1e-4 });
  head.dispose();
});

test('SegFormer MiT-b0 + SegformerHead: forward and backward of the decode loss at 64x64', () => {
  torch.manualSeed(32);
  const backbone = MODELS.build<MixVisionTransformer>({
    type: 'MixVisionTransformer', in_channels: 3, embed_dims: 32, num_stages: 4, num_layers: [2, 2, 2, 2], num_heads: [1, 2, 5, 8],
    patch_sizes: [7, 3, 3, 3], sr_ratios: [8, 4, 2, 1], out_indices: [0, 1, 2, 3], mlp_ratio: 4, qkv_bias: true, drop_path_rate: 0.1,
  });
  const head = MODELS.build<SegformerHead>({ ...B0_HEAD, norm_cfg: { type: 'BN', requires_grad: true } });
  backbone.initWeights();
  head.initWeights();
  const x = torch.randn([2, 3, 64, 64]);
  const label = (): SegDataSample => ({
    metainfo: { ori_shape: [64, 64], img_shape: [64, 64] },
    gt_sem_seg: { data: torch.randint(0, 19, [1, 64, 64], { dtype: 'int64' }) },
  });
  const feats = backbone.forward(x);
  assert.deepEqual(head.forward(feats).shape, [2, 19, 16, 16]);
  const losses = head.loss(feats, [label(), label()]);
  assert.deepEqual(Object.keys(losses).sort(), ['acc_seg', 'loss_ce']);
  const ce = losses.loss_ce!.item();
  assert.ok(ce > 2 && ce < 4.5, `cross entropy over 19 classes near ln 19, got ${ce}`);
  losses.loss_ce!.backward();
  for (const [name, p] of [...backbone.namedParameters('backbone'), ...head.namedParameters('decode_head')]) {
    assert.ok(p.grad !== null && p.grad.abs().sum().item() > 0, `${name} got no gradient`);
  }
  backbone.dispose();
  head.dispose();
});
