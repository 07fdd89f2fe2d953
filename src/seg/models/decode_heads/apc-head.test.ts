// APCHead and ACM: MMSeg parameter names and shapes, forward equal to plain PyTorch (eval), loss backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { PY_CONV_MODULE, cmKeys, randomise, sdInputs } from './test-utils.js';
import { APCHead } from './apc-head.js';

torch.manualSeed(13);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };

/** MMSeg's APCHead (ACM + ConvModule as conv, bn, relu) in plain PyTorch. */
const PY_APC = `${PY_CONV_MODULE}class ACM(nn.Module):
    def __init__(s, ps, fusion, i, c):
        super().__init__()
        s.ps = ps; s.c = c; s.fusion = fusion
        s.pooled_redu_conv = CM(i, c); s.input_redu_conv = CM(i, c); s.global_info = CM(c, c)
        s.gla = nn.Conv2d(c, ps ** 2, 1); s.residual_conv = CM(c, c)
        if fusion: s.fusion_conv = CM(c, c)
    def forward(s, x):
        p = F.adaptive_avg_pool2d(x, s.ps)
        x = s.input_redu_conv(x); p = s.pooled_redu_conv(p)
        b = x.size(0)
        p = p.view(b, s.c, -1).permute(0, 2, 1).contiguous()
        g = F.interpolate(s.global_info(F.adaptive_avg_pool2d(x, 1)), size=x.shape[2:])
        a = torch.sigmoid(s.gla(x + g).permute(0, 2, 3, 1).reshape(b, -1, s.ps ** 2))
        z = torch.matmul(a, p).permute(0, 2, 1).contiguous().view(b, s.c, x.size(2), x.size(3))
        z = F.relu(s.residual_conv(z) + x)
        return s.fusion_conv(z) if s.fusion else z
class Head(nn.Module):
    def __init__(s, i, c, k, scales, fusion):
        super().__init__()
        s.conv_seg = nn.Conv2d(c, k, 1)
        s.acm_modules = nn.ModuleList([ACM(ps, fusion, i, c) for ps in scales])
        s.bottleneck = CM(i + len(scales) * c, c, 3, 1)
    def forward(s, x):
        return s.conv_seg(s.bottleneck(torch.cat([x] + [m(x) for m in s.acm_modules], 1)))
`;

test("APCHead built from apcnet_r50-d8's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<APCHead>({
    type: 'APCHead', in_channels: 2048, in_index: 3, channels: 512, pool_scales: [1, 2, 3, 6], dropout_ratio: 0.1,
    num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  const acm = (i: number): string[] => [
    ...cmKeys(`acm_modules.${i}.pooled_redu_conv`), ...cmKeys(`acm_modules.${i}.input_redu_conv`), ...cmKeys(`acm_modules.${i}.global_info`),
    `acm_modules.${i}.gla.weight`, `acm_modules.${i}.gla.bias`, ...cmKeys(`acm_modules.${i}.residual_conv`), ...cmKeys(`acm_modules.${i}.fusion_conv`),
  ];
  assert.deepEqual([...sd.keys()], ['conv_seg.weight', 'conv_seg.bias', ...acm(0), ...acm(1), ...acm(2), ...acm(3), ...cmKeys('bottleneck')]);
  const shape = (k: string): number[] => sd.get(k)!.shape;
  assert.deepEqual(shape('acm_modules.0.pooled_redu_conv.conv.weight'), [512, 2048, 1, 1]);
  assert.deepEqual(shape('acm_modules.2.global_info.conv.weight'), [512, 512, 1, 1]);
  assert.deepEqual(shape('acm_modules.3.gla.weight'), [36, 512, 1, 1]);
  assert.deepEqual(shape('acm_modules.1.gla.bias'), [4]);
  assert.deepEqual(shape('bottleneck.conv.weight'), [512, 2048 + 4 * 512, 3, 3]);
  head.dispose();
  const noFusion = new APCHead({ in_channels: 4, channels: 2, num_classes: 3, pool_scales: [2], fusion: false });
  assert.ok(![...noFusion.stateDict().keys()].some((k) => k.includes('fusion_conv')));
  assert.throws(() => MODELS.build({ type: 'APCHead', in_channels: 4, channels: 4, num_classes: 3, pool_scales: [0] }, { keyPath: ['decode_head'] }), /decode_head\.pool_scales\.0/);
});

test('APCHead forward (eval) equals the same head in PyTorch, with and without fusion; loss runs backward', () => {
  const inputs: Record<string, torch.Tensor> = {};
  const ys: Record<string, torch.Tensor> = {};
  let script = PY_APC;
  for (const [i, fusion] of [[0, true], [1, false]] as const) {
    const head = new APCHead({ in_channels: 6, channels: 4, num_classes: 3, norm_cfg: bn, pool_scales: [1, 2, 3], fusion, in_index: 1 });
    randomise(head);
    head.eval();
    const x = torch.randn([2, 6, 7, 9]);
    ys[`y${i}`] = head.forward([torch.randn([2, 3, 4, 4]), x]);
    for (const [k, v] of Object.entries(sdInputs(head))) inputs[`m${i}${k}`] = v;
    inputs[`x${i}`] = x;
    script += `
m = Head(6, 4, 3, [1, 2, 3], ${fusion ? 'True' : 'False'}).eval()
m.load_state_dict({k[len('m${i}sd:'):]: v for k, v in inputs.items() if k.startswith('m${i}sd:')})
out['y${i}'] = m(inputs['x${i}'])
`;
  }
  const ref = runPyTorch(script, inputs);
  for (const [k, y] of Object.entries(ys)) assertClose(y, ref[k]!, { atol: 1e-5, rtol: 1e-4, name: k });
  const head = new APCHead({ in_channels: 6, channels: 4, num_classes: 3, norm_cfg: bn, pool_scales: [1, 2] });
  randomise(head);
  const x = torch.randn([2, 6, 5, 7]);
  const sample = { metainfo: { ori_shape: [10, 14], img_shape: [10, 14] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 10, 14]) } };
  const losses = head.loss([x], [sample, sample]);
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  assert.ok(head.acm_modules.at(1).gla.weight.grad!.abs().sum().item() > 0);
});
