// CascadeEncoderDecoder on a tiny backbone: MMSeg's parameter names, decode_i loss keys, inference equal to running the stages by hand, config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import { assertClose } from '../../../torch/testing/pytorch.js';
import { MODELS } from '../../../engine/registry/index.js';
import { BaseModule } from '../init/base-module.js';
import { resize } from '../utils/resize.js';
import { randomise } from '../decode_heads/test-utils.js';
import '../losses/index.js';
import '../decode_heads/index.js';
import '../data-preprocessor.js';
import './index.js';
import { CascadeEncoderDecoder } from './cascade-encoder-decoder.js';
import type { OCRHead } from '../decode_heads/ocr-head.js';
import type { SegDataSample, SegMetaInfo } from '../../structures/seg-data-sample.js';

torch.manualSeed(5);
process.removeAllListeners('warning');

/** Two conv + BN + ReLU stages (stride 2, then 4). */
class CascadeTinyBackbone extends BaseModule {
  readonly stem: nn.Sequential;
  readonly stage2: nn.Sequential;
  constructor(_options: Record<string, unknown> = {}) {
    super(null);
    const block = (cin: number, cout: number): nn.Sequential => new nn.Sequential(new nn.Conv2d(cin, cout, 3, { stride: 2, padding: 1 }), new nn.BatchNorm2d(cout), new nn.ReLU());
    this.stem = this.registerModule('stem', block(3, 8));
    this.stage2 = this.registerModule('stage2', block(8, 16));
  }
  forward(x: Tensor): Tensor[] {
    const a = this.stem.forward(x) as Tensor;
    return [a, this.stage2.forward(a) as Tensor];
  }
}
MODELS.register(CascadeTinyBackbone);

const bn = { type: 'BN' };

/** randomise's statistics with weights N(0, 0.6): with std 0.3 the stacked ReLU ConvModules leave the attention path almost without effect. */
function randomiseStrong(m: torch.nn.Module): void {
  randomise(m);
  torch.noGrad(() => { for (const [, p] of m.namedParameters()) p.copy_(torch.randn(p.shape).mul(0.6)); });
}
const fcnStage = { type: 'FCNHead', in_channels: 8, in_index: 0, channels: 8, num_convs: 1, concat_input: false, num_classes: 3, norm_cfg: bn, loss_decode: { type: 'CrossEntropyLoss', loss_weight: 0.4 } };
const ocrStage = { type: 'OCRHead', in_channels: [8, 16], in_index: [0, 1], input_transform: 'resize_concat', channels: 8, ocr_channels: 4, num_classes: 3, norm_cfg: bn };
const cascade = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  type: 'CascadeEncoderDecoder', num_stages: 2, backbone: { type: 'CascadeTinyBackbone' }, decode_head: [fcnStage, ocrStage], test_cfg: { mode: 'whole' }, ...extra,
});
const build = (cfg: Record<string, unknown>): CascadeEncoderDecoder => MODELS.build<CascadeEncoderDecoder>(cfg, { keyPath: ['model'] });
const samples = (n: number, h: number, w: number): SegDataSample[] => Array.from({ length: n }, () => ({
  metainfo: { ori_shape: [h, w], img_shape: [h, w], pad_shape: [h, w] }, gt_sem_seg: { data: torch.randint(0, 3, [1, h, w]) },
}));

test("parameter names follow MMSeg: decode_head.0.* and decode_head.1.*; align_corners / num_classes come from the last stage", () => {
  const model = build(cascade({ decode_head: [fcnStage, { ...ocrStage, num_classes: 5, align_corners: true }] }));
  const keys = [...model.stateDict().keys()];
  for (const k of ['decode_head.0.conv_seg.weight', 'decode_head.0.convs.0.bn.running_mean', 'decode_head.1.bottleneck.conv.weight', 'decode_head.1.object_context_block.out_project.bn.weight']) assert.ok(keys.includes(k), k);
  assert.ok(!keys.some((k) => k.startsWith('decode_head.conv_seg') || k.startsWith('decode_head.bottleneck')));
  assert.ok(model.getSubmodule('decode_head') instanceof nn.ModuleList);
  assert.equal(model.decode_head, model.cascadeHeads[0]);
  assert.equal(model.numClasses, 5);
  assert.equal(model.alignCorners, true);
  assert.equal(model.numStages, 2);
});

test("loss keys are 'decode_0.', 'decode_1.', ... then 'aux.'; each stage's loss equals that head run on the previous stage's output", () => {
  const model = build(cascade({
    num_stages: 3, decode_head: [fcnStage, ocrStage, { ...ocrStage, ocr_channels: 6 }],
    auxiliary_head: { ...fcnStage, in_channels: 16, in_index: 1 },
  }));
  randomiseStrong(model);
  model.eval(); // deterministic (dropout off, running statistics) so the hand-run stages match
  const x = torch.randn([2, 3, 16, 20]);
  const data = samples(2, 16, 20);
  const losses = model.loss(x, data);
  assert.deepEqual(Object.keys(losses), ['decode_0.loss_ce', 'decode_0.acc_seg', 'decode_1.loss_ce', 'decode_1.acc_seg', 'decode_2.loss_ce', 'decode_2.acc_seg', 'aux.loss_ce', 'aux.acc_seg']);
  const feats = model.extractFeat(x);
  const out0 = model.firstHead.forward(feats);
  const out1 = model.cascadeHeads[0]!.forward(feats, out0);
  assertClose(losses['decode_0.loss_ce']!, model.firstHead.loss(feats, data).loss_ce!, { atol: 1e-6 });
  assertClose(losses['decode_1.loss_ce']!, model.cascadeHeads[0]!.loss(feats, out0, data).loss_ce!, { atol: 1e-6 });
  assertClose(losses['decode_2.loss_ce']!, model.cascadeHeads[1]!.loss(feats, out1, data).loss_ce!, { atol: 1e-6 });
  assert.ok(Math.abs(losses['decode_1.loss_ce']!.item() - losses['decode_2.loss_ce']!.item()) > 1e-6, 'the stages differ');
  model.train();
  const trainLosses = model.loss(x, data);
  const { loss } = model.parseLosses(trainLosses);
  loss.backward();
  const grad = (model.cascadeHeads[1] as OCRHead).object_context_block.query_project.namedParameters()[0]![1].grad;
  assert.ok(grad && grad.abs().sum().item() > 0, 'the last stage gets a gradient');
});

test('inference and predict equal running the stages by hand in order (last stage resized to the input)', () => {
  const model = build(cascade({ num_stages: 3, decode_head: [fcnStage, ocrStage, { ...ocrStage, scale: 0.5 }] }));
  randomiseStrong(model);
  model.eval();
  const x = torch.randn([2, 3, 16, 20]);
  const metas: SegMetaInfo[] = [0, 1].map(() => ({ ori_shape: [16, 20], img_shape: [16, 20], pad_shape: [16, 20] }));
  torch.noGrad(() => {
    const feats = model.extractFeat(x);
    const byHand = model.cascadeHeads.reduce((prev, head) => head.forward(feats, prev), model.firstHead.forward(feats));
    assertClose(model.forwardTensor(x), byHand, { atol: 1e-6 });
    const logits = resize(byHand, { size: [16, 20], mode: 'bilinear', alignCorners: false });
    assertClose(model.inference(x, metas), logits, { atol: 1e-6 });
    const [first] = model.predict(x, metas.map((m) => ({ metainfo: m })));
    assertClose(first!.seg_logits!.data, logits.select(0, 0), { atol: 1e-6 });
    assert.deepEqual(first!.pred_sem_seg!.data.flatten().toArray(), logits.select(0, 0).argmax(0).flatten().toArray());
  });
});

test('config errors name the key: stage count, stage kinds, and a bad option of the last stage', () => {
  assert.throws(() => build(cascade({ num_stages: 3 })), /model\.decode_head: has 2 heads but num_stages is 3/);
  assert.throws(() => build(cascade({ decode_head: fcnStage })), /model\.decode_head/);
  assert.throws(() => build(cascade({ decode_head: [ocrStage, ocrStage] })), /model\.decode_head\.0\.type: the first stage needs a plain decode head/);
  assert.throws(() => build(cascade({ decode_head: [fcnStage, fcnStage] })), /model\.decode_head\.1\.type: stages after the first need a cascade decode head/);
  assert.throws(() => build(cascade({ decode_head: [fcnStage, { ...ocrStage, ocr_channels: undefined }] })), /model\.decode_head\.1\.ocr_channels/);
  assert.throws(() => build(cascade({ decode_head: [{ ...fcnStage, num_convs: -1 }, ocrStage] })), /model\.decode_head\.0\.num_convs/);
  assert.throws(() => build(cascade({ neck: 3 })), /model\.neck/);
});
