// DMHead and DCM: MMSeg parameter names and shapes, forward equal to plain PyTorch (eval, odd and even filters), loss backward.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import { runPyTorch, assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import '../losses/index.js';
import { BN_KEYS, PY_CONV_MODULE, cmKeys, randomise, sdInputs } from './test-utils.js';
import { DMHead } from './dm-head.js';

torch.manualSeed(14);
process.removeAllListeners('warning');
const bn = { type: 'BN', requires_grad: true };

/** MMSeg's DMHead (DCM + ConvModule as conv, bn, relu) in plain PyTorch. */
const PY_DM = `${PY_CONV_MODULE}class DCM(nn.Module):
    def __init__(s, fs, fusion, i, c):
        super().__init__()
        s.fs = fs; s.fusion = fusion
        s.filter_gen_conv = nn.Conv2d(i, c, 1, 1, 0)
        s.input_redu_conv = CM(i, c)
        s.norm = nn.BatchNorm2d(c)
        s.activate = nn.ReLU()
        if fusion: s.fusion_conv = CM(c, c)
    def forward(s, x):
        f = s.filter_gen_conv(F.adaptive_avg_pool2d(x, s.fs))
        x = s.input_redu_conv(x)
        b, c, h, w = x.shape
        x = x.view(1, b * c, h, w)
        f = f.view(b * c, 1, s.fs, s.fs)
        pad = (s.fs - 1) // 2
        p2d = (pad, pad, pad, pad) if (s.fs - 1) % 2 == 0 else (pad + 1, pad, pad + 1, pad)
        x = F.pad(input=x, pad=p2d, mode='constant', value=0)
        o = F.conv2d(input=x, weight=f, groups=b * c).view(b, c, h, w)
        o = s.activate(s.norm(o))
        return s.fusion_conv(o) if s.fusion else o
class Head(nn.Module):
    def __init__(s, i, c, k, sizes, fusion):
        super().__init__()
        s.conv_seg = nn.Conv2d(c, k, 1)
        s.dcm_modules = nn.ModuleList([DCM(fs, fusion, i, c) for fs in sizes])
        s.bottleneck = CM(i + len(sizes) * c, c, 3, 1)
    def forward(s, x):
        return s.conv_seg(s.bottleneck(torch.cat([x] + [m(x) for m in s.dcm_modules], 1)))
`;

test("DMHead built from dmnet_r50-d8's head settings has MMSeg's parameter names and shapes", () => {
  const head = MODELS.build<DMHead>({
    type: 'DMHead', in_channels: 2048, in_index: 3, channels: 512, filter_sizes: [1, 3, 5, 7], fusion: false, dropout_ratio: 0.1,
    num_classes: 19, norm_cfg: { type: 'SyncBN', requires_grad: true }, align_corners: false,
    loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: false, loss_weight: 1.0 },
  });
  const sd = head.stateDict();
  const dcm = (i: number): string[] => [
    `dcm_modules.${i}.filter_gen_conv.weight`, `dcm_modules.${i}.filter_gen_conv.bias`, ...cmKeys(`dcm_modules.${i}.input_redu_conv`),
    ...BN_KEYS.map((k) => `dcm_modules.${i}.norm.${k}`),
  ];
  assert.deepEqual([...sd.keys()], ['conv_seg.weight', 'conv_seg.bias', ...dcm(0), ...dcm(1), ...dcm(2), ...dcm(3), ...cmKeys('bottleneck')]);
  const shape = (k: string): number[] => sd.get(k)!.shape;
  assert.deepEqual(shape('dcm_modules.0.filter_gen_conv.weight'), [512, 2048, 1, 1]);
  assert.deepEqual(shape('dcm_modules.3.input_redu_conv.conv.weight'), [512, 2048, 1, 1]);
  assert.deepEqual(shape('dcm_modules.2.norm.weight'), [512]);
  assert.deepEqual(shape('bottleneck.conv.weight'), [512, 2048 + 4 * 512, 3, 3]);
  head.dispose();
  const fused = new DMHead({ in_channels: 4, channels: 2, num_classes: 3, filter_sizes: [3], fusion: true, norm_cfg: bn });
  assert.deepEqual([...fused.stateDict().keys()].filter((k) => k.startsWith('dcm_modules.0.fusion_conv')), cmKeys('dcm_modules.0.fusion_conv'));
  const noNorm = new DMHead({ in_channels: 4, channels: 2, num_classes: 3, filter_sizes: [3] });
  assert.ok(![...noNorm.stateDict().keys()].some((k) => k.includes('.norm.')));
  assert.throws(() => MODELS.build({ type: 'DMHead', in_channels: 4, channels: 4, num_classes: 3, filter_sizes: [] }, { keyPath: ['decode_head'] }), /decode_head\.filter_sizes/);
  assert.throws(() => new DMHead({ in_channels: 4, channels: 2, num_classes: 3, act_cfg: null }), /act_cfg: expected an activation config/);
});

test('DMHead forward (eval) equals the same head in PyTorch (odd and even filter sizes, fusion on/off); loss runs backward', () => {
  const inputs: Record<string, torch.Tensor> = {};
  const ys: Record<string, torch.Tensor> = {};
  let script = PY_DM;
  for (const [i, fusion] of [[0, false], [1, true]] as const) {
    const head = new DMHead({ in_channels: 6, channels: 4, num_classes: 3, norm_cfg: bn, filter_sizes: [1, 2, 3, 4, 5], fusion, in_index: 1 });
    randomise(head);
    head.eval();
    const x = torch.randn([2, 6, 7, 9]);
    ys[`y${i}`] = head.forward([torch.randn([2, 3, 4, 4]), x]);
    for (const [k, v] of Object.entries(sdInputs(head))) inputs[`m${i}${k}`] = v;
    inputs[`x${i}`] = x;
    script += `
m = Head(6, 4, 3, [1, 2, 3, 4, 5], ${fusion ? 'True' : 'False'}).eval()
m.load_state_dict({k[len('m${i}sd:'):]: v for k, v in inputs.items() if k.startswith('m${i}sd:')})
out['y${i}'] = m(inputs['x${i}'])
`;
  }
  const ref = runPyTorch(script, inputs);
  for (const [k, y] of Object.entries(ys)) assertClose(y, ref[k]!, { atol: 1e-5, rtol: 1e-4, name: k });
  const head = new DMHead({ in_channels: 6, channels: 4, num_classes: 3, norm_cfg: bn, filter_sizes: [3] });
  randomise(head);
  const x = torch.randn([2, 6, 5, 7]);
  const sample = { metainfo: { ori_shape: [10, 14], img_shape: [10, 14] }, gt_sem_seg: { data: torch.randint(0, 3, [1, 10, 14]) } };
  const losses = head.loss([x], [sample, sample]);
  assert.deepEqual(Object.keys(losses), ['loss_ce', 'acc_seg']);
  losses.loss_ce!.backward();
  assert.ok(head.dcm_modules.at(0).filter_gen_conv.weight.grad!.abs().sum().item() > 0);
});
