// EncoderDecoder end to end on tiny test backbones: names, loss prefixes, whole vs slide inference,
// postprocessing, a few real training steps, and init_cfg / pretrained loading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import { OptimWrapper } from '../../../engine/optim/optim-wrapper/optim-wrapper.js';
import { saveCheckpointFile } from '../../../engine/runner/checkpoint-file.js';
import { BaseModule } from '../init/base-module.js';
import '../losses/index.js';
import '../decode_heads/index.js';
import '../data-preprocessor.js';
import './index.js';
import type { EncoderDecoder } from './index.js';
import type { SegDataSample } from '../../structures/seg-data-sample.js';

torch.manualSeed(9);
process.removeAllListeners('warning');

/** Two stages (stride 2 and 4) of conv + BN + ReLU. */
class TinyBackbone extends BaseModule {
  readonly stem: nn.Sequential;
  readonly stage2: nn.Sequential;
  constructor(options: { in_channels?: number; init_cfg?: BaseModule['initCfg'] } = {}) {
    super(options.init_cfg ?? null);
    const block = (cin: number, cout: number): nn.Sequential => new nn.Sequential(new nn.Conv2d(cin, cout, 3, { stride: 2, padding: 1 }), new nn.BatchNorm2d(cout), new nn.ReLU());
    this.stem = this.registerModule('stem', block(options.in_channels ?? 3, 8));
    this.stage2 = this.registerModule('stage2', block(8, 16));
  }
  forward(x: Tensor): Tensor[] {
    const a = this.stem.forward(x) as Tensor;
    return [a, this.stage2.forward(a) as Tensor];
  }
}
MODELS.register(TinyBackbone);

/** A per-pixel (1x1) backbone: its logits at a pixel depend only on that pixel, so any sliding window gives the whole-image result. */
class PointwiseBackbone extends nn.Module {
  readonly proj = this.registerModule('proj', new nn.Conv2d(3, 6, 1));
  constructor(_options: Record<string, unknown> = {}) {
    super();
  }
  forward(x: Tensor): Tensor[] {
    return [F.relu(this.proj.forward(x))];
  }
}
MODELS.register(PointwiseBackbone);

const preprocessor = { type: 'SegDataPreProcessor', mean: [100, 100, 100], std: [50, 50, 50], bgr_to_rgb: true, size_divisor: 4 };
const fcn = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'EncoderDecoder',
  data_preprocessor: preprocessor,
  backbone: { type: 'TinyBackbone' },
  decode_head: { type: 'FCNHead', in_channels: 16, in_index: 1, channels: 8, num_convs: 2, concat_input: true, num_classes: 3, norm_cfg: { type: 'BN' } },
  auxiliary_head: { type: 'FCNHead', in_channels: 8, in_index: 0, channels: 4, num_convs: 1, concat_input: false, num_classes: 3, norm_cfg: { type: 'BN' }, loss_decode: { type: 'CrossEntropyLoss', loss_weight: 0.4 } },
  test_cfg: { mode: 'whole' },
  ...extra,
});
const build = (cfg: Record<string, unknown>): EncoderDecoder => MODELS.build<EncoderDecoder>(cfg, { keyPath: ['model'] });

/** Synthetic BGR images whose label is derivable from the pixels: class = which channel is brightest. */
function batch(n: number, h: number, w: number): { inputs: { data: Uint8Array; shape: number[] }[]; data_samples: SegDataSample[] } {
  const inputs = [];
  const data_samples: SegDataSample[] = [];
  for (let i = 0; i < n; i++) {
    const img = new Uint8Array(3 * h * w);
    const lab = new Uint8Array(h * w);
    for (let p = 0; p < h * w; p++) {
      const cls = Math.floor((((p % w) >> 2) + ((Math.floor(p / w) >> 2) * 2) + i) % 3);
      for (let c = 0; c < 3; c++) img[c * h * w + p] = (c === cls ? 200 : 40) + ((p * 7 + c * 13) % 20);
      lab[p] = cls;
    }
    inputs.push({ data: img, shape: [3, h, w] });
    data_samples.push({ metainfo: { ori_shape: [h, w], img_shape: [h, w] }, gt_sem_seg: { data: { data: lab, shape: [1, h, w] } } });
  }
  return { inputs, data_samples };
}

test('parameter names follow MMSeg: backbone.*, decode_head.conv_seg, auxiliary_head.convs.0.bn.running_mean; aux lists are numbered', () => {
  const model = build(fcn());
  const keys = [...model.stateDict().keys()];
  assert.ok(keys[0]!.startsWith('backbone.'));
  for (const k of ['decode_head.conv_seg.weight', 'decode_head.convs.1.bn.weight', 'decode_head.conv_cat.conv.weight', 'auxiliary_head.convs.0.bn.running_mean', 'auxiliary_head.conv_seg.bias']) {
    assert.ok(keys.includes(k), k);
  }
  assert.ok(!keys.some((k) => k.startsWith('data_preprocessor')));
  const two = build(fcn({ auxiliary_head: [fcn().auxiliary_head, { ...(fcn().auxiliary_head as object), in_index: 1, in_channels: 16 }] }));
  assert.ok(two.stateDict().has('auxiliary_head.1.convs.0.conv.weight'));
  assert.equal(two.outChannels, 3);
});

test("loss keys carry MMSeg's prefixes: 'decode.', 'aux.' (one head) or 'aux_0.', 'aux_1.' (a list)", () => {
  const data = batch(2, 16, 16);
  const model = build(fcn());
  const pre = model.dataPreprocessor.forward(data, true);
  const losses = model.forward(pre.inputs, pre.data_samples, 'loss') as Record<string, Tensor>;
  assert.deepEqual(Object.keys(losses), ['decode.loss_ce', 'decode.acc_seg', 'aux.loss_ce', 'aux.acc_seg']);
  const two = build(fcn({ auxiliary_head: [fcn().auxiliary_head, fcn().auxiliary_head] }));
  const l2 = two.forward(pre.inputs, pre.data_samples, 'loss') as Record<string, Tensor>;
  assert.deepEqual(Object.keys(l2), ['decode.loss_ce', 'decode.acc_seg', 'aux_0.loss_ce', 'aux_0.acc_seg', 'aux_1.loss_ce', 'aux_1.acc_seg']);
  const { loss, logVars } = model.parseLosses(losses);
  assert.ok(Math.abs(loss.item() - (losses['decode.loss_ce']!.item() + losses['aux.loss_ce']!.item())) < 1e-5);
  assert.ok('decode.acc_seg' in logVars);
});

test('slide inference with crop = the whole image equals whole inference', () => {
  const whole = build(fcn());
  whole.eval();
  const slide = build(fcn({ test_cfg: { mode: 'slide', crop_size: [20, 24], stride: [10, 12] } }));
  slide.loadStateDict(whole.stateDict());
  slide.eval();
  const x = torch.randn([2, 3, 20, 24]);
  const metas = [0, 1].map(() => ({ ori_shape: [20, 24], img_shape: [20, 24] }));
  torch.noGrad(() => assertClose(slide.inference(x, metas), whole.inference(x, metas), { atol: 1e-5 }));
});

test('slide inference over overlapping windows (and a crop larger than the image) equals whole for a per-pixel model', () => {
  const head = { type: 'FCNHead', in_channels: 6, channels: 6, num_convs: 0, concat_input: false, num_classes: 4 };
  const whole = build({ type: 'EncoderDecoder', backbone: { type: 'PointwiseBackbone' }, decode_head: head });
  whole.eval();
  const x = torch.randn([1, 3, 13, 17]);
  const metas = [{ ori_shape: [13, 17], img_shape: [13, 17] }];
  const expected = torch.noGrad(() => whole.inference(x, metas));
  for (const [crop, stride] of [[[8, 8], [5, 6]], [[6, 10], [4, 3]], [[32, 32], [16, 16]]]) {
    for (const crop_batch_size of [1, 4]) {
      const slide = build({ type: 'EncoderDecoder', backbone: { type: 'PointwiseBackbone' }, decode_head: head, test_cfg: { mode: 'slide', crop_size: crop, stride, crop_batch_size } });
      slide.loadStateDict(whole.stateDict());
      slide.eval();
      torch.noGrad(() => assertClose(slide.inference(x, metas), expected, { atol: 1e-5, name: `crop ${crop} stride ${stride} crop_batch_size ${crop_batch_size}` }));
    }
  }
  assert.throws(() => build({ type: 'EncoderDecoder', backbone: { type: 'PointwiseBackbone' }, decode_head: head, test_cfg: { mode: 'slide', stride: 4 } }),
    /model\.test_cfg\.crop_size: is required with mode 'slide'/);
});

test('slide inference with crop_batch_size: windows batched per forward (groups not dividing the count) equal one window per forward', () => {
  const one = build(fcn({ test_cfg: { mode: 'slide', crop_size: [12, 12], stride: [7, 9] } }));
  one.eval();
  const x = torch.randn([2, 3, 26, 30]); // 4 x 3 = 12 windows: groups of 5 leave 2
  const metas = [0, 1].map(() => ({ ori_shape: [26, 30], img_shape: [26, 30] }));
  const expected = torch.noGrad(() => one.inference(x, metas));
  for (const crop_batch_size of [5, 12, 64]) {
    const batched = build(fcn({ test_cfg: { mode: 'slide', crop_size: [12, 12], stride: [7, 9], crop_batch_size } }));
    batched.loadStateDict(one.stateDict());
    batched.eval();
    torch.noGrad(() => assertClose(batched.inference(x, metas), expected, { atol: 1e-5, name: `crop_batch_size ${crop_batch_size}` }));
  }
  assert.throws(() => build(fcn({ test_cfg: { mode: 'slide', crop_size: 8, stride: 4, crop_batch_size: 0 } })), /model\.test_cfg\.crop_batch_size/);
});

test('postprocess: removes padding, flips back, resizes to ori_shape, argmax; binary heads use sigmoid > threshold', () => {
  const model = build(fcn());
  const logits = torch.randn([1, 3, 8, 10]);
  const sample: SegDataSample = { metainfo: { ori_shape: [12, 6], img_shape: [6, 7], padding_size: [0, 3, 0, 2], flip: true, flip_direction: 'horizontal' } };
  const [out] = model.postprocessResult(logits, [sample]);
  const expected = F.interpolate(logits.slice(2, 0, 6).slice(3, 0, 7).flip(3), { size: [12, 6], mode: 'bilinear', alignCorners: false }).squeeze(0);
  assertClose(out!.seg_logits!.data, expected);
  assert.deepEqual(out!.pred_sem_seg!.data.shape, [1, 12, 6]);
  assert.equal(out!.pred_sem_seg!.data.dtype, 'int64');
  assert.deepEqual(out!.pred_sem_seg!.data.toArray(), expected.argmax(0, true).toArray());
  assert.equal(out!.metainfo, sample.metainfo);

  const binary = build(fcn({
    decode_head: { type: 'FCNHead', in_channels: 16, in_index: 1, channels: 8, num_classes: 2, out_channels: 1, threshold: 0.6, loss_decode: { type: 'CrossEntropyLoss', use_sigmoid: true } },
    auxiliary_head: null,
  }));
  const z = torch.tensor([[[[-1, 0.2], [0.3, 3]]]]);
  const [b] = binary.postprocessResult(z);
  assert.deepEqual(b!.pred_sem_seg!.data.toArray(), [0, 0, 0, 1]);
  assertClose(b!.seg_logits!.data, z.squeeze(0).sigmoid());
});

test('trainStep lowers the loss on a learnable synthetic task; valStep predicts at the original size', () => {
  torch.manualSeed(0); // the weights and data, independent of the tests before
  const model = build(fcn());
  model.initWeights();
  const wrapper = new OptimWrapper({ optimizer: new torch.optim.SGD(model.parameters(), { lr: 0.05, momentum: 0.9 }) });
  const data = batch(2, 16, 16);
  const first = model.trainStep(data, wrapper);
  assert.deepEqual(Object.keys(first), ['loss', 'decode.loss_ce', 'decode.acc_seg', 'aux.loss_ce', 'aux.acc_seg']);
  let last = first;
  for (let i = 0; i < 25; i++) last = model.trainStep(data, wrapper);
  assert.ok(last.loss < first.loss * 0.6, `loss ${first.loss} -> ${last.loss}`);
  model.eval();
  const val = batch(1, 14, 18);
  const [pred] = model.valStep(val) as SegDataSample[];
  assert.deepEqual(pred!.pred_sem_seg!.data.shape, [1, 14, 18]);
  assert.deepEqual(pred!.seg_logits!.data.shape, [3, 14, 18]);
  assert.deepEqual(pred!.metainfo.batch_input_shape, [14, 18]);
  assert.deepEqual((model.forward(torch.randn([1, 3, 16, 16]), undefined, 'tensor') as Tensor).shape, [1, 3, 4, 4]);
});

test('init: Pretrained with prefix on the backbone loads a segkit checkpoint; `pretrained` sets it; decode conv_seg gets N(0, 0.01)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-encdec-'));
  const file = join(dir, 'iter_10.ckpt');
  const source = build(fcn());
  saveCheckpointFile({ meta: { iter: 10 }, state_dict: source.stateDict() }, file);

  const viaInitCfg = build(fcn({ backbone: { type: 'TinyBackbone', init_cfg: { type: 'Pretrained', checkpoint: file, prefix: 'backbone.' } } }));
  viaInitCfg.initWeights();
  for (const [k, v] of source.backbone.stateDict()) assert.deepEqual(viaInitCfg.backbone.stateDict().get(k)!.toArray(), v.toArray(), k);
  assert.ok(Math.abs(viaInitCfg.decode_head.conv_seg.weight.std().item() - 0.01) < 0.006);

  const viaWhole = build(fcn({ init_cfg: { type: 'Pretrained', checkpoint: file } }));
  viaWhole.initWeights();
  assert.deepEqual(viaWhole.decode_head.conv_seg.weight.toArray(), source.decode_head.conv_seg.weight.toArray());

  assert.throws(() => build(fcn({ pretrained: file, backbone: { type: 'TinyBackbone', init_cfg: { type: 'Normal' } } })), /model\.backbone\.init_cfg: init_cfg and pretrained cannot be set/);
  const viaPretrained = build(fcn({ pretrained: join(dir, 'backbone-only.ckpt') }));
  saveCheckpointFile({ state_dict: source.backbone.stateDict() }, join(dir, 'backbone-only.ckpt'));
  viaPretrained.initWeights();
  assert.deepEqual(viaPretrained.backbone.getParameter('stem.0.weight').toArray(), source.backbone.getParameter('stem.0.weight').toArray());
});
