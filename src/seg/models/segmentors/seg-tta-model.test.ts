// SegTTAModel over a tiny EncoderDecoder: flip and scale TestTimeAug batches merge to the average of
// the per-augmentation class probabilities (flips undone), MMSeg 1.2.2's merge rule, and config errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../../torch/index.js';
import type { Tensor } from '../../../torch/index.js';
import * as nn from '../../../torch/nn/index.js';
import * as F from '../../../torch/functional/index.js';
import { MODELS } from '../../../engine/registry/index.js';
import { pseudoCollate } from '../../../engine/dataset/collate.js';
import type { DataBatch } from '../../../engine/model/base-model.js';
import { TestTimeAug } from '../../datasets/transforms/test-time-aug.js';
import '../../datasets/transforms/index.js';
import '../decode_heads/index.js';
import '../losses/index.js';
import '../data-preprocessor.js';
import './index.js';
import { SegTTAModel, type EncoderDecoder } from './index.js';
import type { SegDataSample } from '../../structures/seg-data-sample.js';

torch.manualSeed(3);
process.removeAllListeners('warning');

/** 3x3 convolutions (not flip-symmetric once initialised at random), stride 1 then 2. */
class TtaTestBackbone extends nn.Module {
  readonly a = this.registerModule('a', new nn.Conv2d(3, 8, 3, { padding: 1 }));
  readonly b = this.registerModule('b', new nn.Conv2d(8, 8, 3, { stride: 2, padding: 1 }));
  constructor(_options: Record<string, unknown> = {}) {
    super();
  }
  forward(x: Tensor): Tensor[] {
    return [F.relu(this.b.forward(F.relu(this.a.forward(x))))];
  }
}
MODELS.register(TtaTestBackbone);

const segmentor = (decode: Record<string, unknown> = {}): { type: string; [key: string]: unknown } => ({
  type: 'EncoderDecoder',
  data_preprocessor: { type: 'SegDataPreProcessor', mean: [100, 110, 120], std: [60, 60, 60], bgr_to_rgb: true },
  backbone: { type: 'TtaTestBackbone' },
  decode_head: { type: 'FCNHead', in_channels: 8, channels: 8, num_convs: 1, concat_input: false, num_classes: 3, ...decode },
  test_cfg: { mode: 'whole' },
});

/** Pipeline results of an H x W BGR image with a label map (as after LoadImageFromFile + LoadAnnotations). */
function results(h: number, w: number, seed: number): Record<string, unknown> {
  const img = new Uint8Array(h * w * 3);
  const seg = new Uint8Array(h * w);
  for (let p = 0; p < h * w; p++) {
    for (let c = 0; c < 3; c++) img[p * 3 + c] = (p * (31 + seed) + c * 77 + seed * 13) % 256;
    seg[p] = (p + seed) % 3;
  }
  return { img: { data: img, shape: [h, w, 3] }, gt_seg_map: { data: seg, shape: [h, w] }, seg_fields: ['gt_seg_map'], img_shape: [h, w], ori_shape: [h, w], img_path: `img_${seed}.png` };
}

/** Two images through TestTimeAug, collated as the data loader does. */
async function ttaBatch(transforms: unknown[][], h = 12, w = 16): Promise<DataBatch> {
  const tta = new TestTimeAug({ transforms });
  return pseudoCollate([await tta.transform(results(h, w, 1)), await tta.transform(results(h, w, 2))]) as DataBatch;
}

const logitsOf = (s: unknown): Tensor => (s as SegDataSample).seg_logits!.data;
const predOf = (s: unknown): Tensor => (s as SegDataSample).pred_sem_seg!.data;
const mismatches = (a: Tensor, b: Tensor): number => a.ne(b).sum().item();

test('flip TTA equals the averaged softmax of the image and of its flipped copy flipped back (values)', async () => {
  const tta = MODELS.build<SegTTAModel>({ type: 'SegTTAModel', module: segmentor() }, { keyPath: ['model'] });
  const module = tta.module as unknown as EncoderDecoder;
  module.initWeights();
  tta.eval();
  const data = await ttaBatch([
    [{ type: 'RandomFlip', prob: 0, direction: 'horizontal' }, { type: 'RandomFlip', prob: 1, direction: 'horizontal' }],
    [{ type: 'PackSegInputs' }],
  ]);
  const merged = tta.testStep(data) as SegDataSample[];
  assert.equal(merged.length, 2);
  // By hand: the unflipped batch, and the same images flipped here and predicted as plain images.
  const inputs = (data.inputs as { data: Uint8Array; shape: number[] }[][])[0]!;
  const samples = (data.data_samples as SegDataSample[][])[0]!;
  const plain = module.testStep({ inputs, data_samples: samples });
  const flippedInputs = inputs.map((nd) => {
    const [c, h, w] = nd.shape as [number, number, number];
    const out = new Uint8Array(nd.data.length);
    for (let k = 0; k < c * h; k++) for (let x = 0; x < w; x++) out[k * w + x] = nd.data[k * w + (w - 1 - x)]!;
    return { data: out, shape: nd.shape };
  });
  const flipped = module.testStep({ inputs: flippedInputs, data_samples: samples });
  let unflipMatters = 0;
  let secondViewMatters = 0;
  for (let i = 0; i < 2; i++) {
    const a = F.softmax(logitsOf(plain[i]), 0);
    const b = F.softmax(logitsOf(flipped[i]).flip(2), 0);
    const expected = a.add(b).div(2).argmax(0, true);
    assert.deepEqual(predOf(merged[i]).shape, [1, 12, 16]);
    assert.equal(predOf(merged[i]).dtype, 'int64');
    assert.equal(mismatches(predOf(merged[i]), expected), 0, `image ${i}: TTA prediction = argmax of the averaged probabilities`);
    // The check can fail: leaving the flipped prediction unflipped, or taking one view, changes pixels.
    const notUnflipped = a.add(F.softmax(logitsOf(flipped[i]), 0)).div(2).argmax(0, true);
    unflipMatters += mismatches(notUnflipped, expected);
    secondViewMatters += mismatches(a.argmax(0, true), expected);
  }
  assert.ok(unflipMatters > 0 && secondViewMatters > 0, `un-flipping changes ${unflipMatters} pixels, the flipped view ${secondViewMatters}`);
  assert.deepEqual(merged.map((s) => s.metainfo.img_path), ['img_1.png', 'img_2.png']);
  assert.equal(merged[0]!.metainfo.flip, undefined, 'augmentation-specific metainfo is dropped');
  assert.deepEqual(merged[0]!.metainfo.ori_shape, [12, 16]);
  assert.equal(merged[0]!.seg_logits, undefined, "MMSeg's merged sample has no seg_logits");
  const gt = merged[1]!.gt_sem_seg!.data as Tensor;
  assert.deepEqual([...gt.data()].map(Number), [...(samples[1]!.gt_sem_seg!.data as unknown as { data: Uint8Array }).data], "the first augmentation's gt_sem_seg");
  tta.dispose();
});

test('scale-only TTA averages the probabilities of each scale, each resized back to ori_shape', async () => {
  const tta = MODELS.build<SegTTAModel>({ type: 'SegTTAModel', module: segmentor() }, { keyPath: ['model'] });
  const module = tta.module as unknown as EncoderDecoder;
  module.initWeights();
  tta.eval();
  const data = await ttaBatch([
    [0.5, 1.0, 1.5].map((r) => ({ type: 'Resize', scale_factor: r, keep_ratio: true })),
    [{ type: 'PackSegInputs' }],
  ], 16, 20);
  const inputs = data.inputs as { shape: number[] }[][];
  assert.deepEqual(inputs.map((aug) => aug[0]!.shape), [[3, 8, 10], [3, 16, 20], [3, 24, 30]]);
  const merged = tta.testStep(data) as SegDataSample[];
  const perScale = [0, 1, 2].map((k) => module.testStep({ inputs: inputs[k], data_samples: (data.data_samples as unknown[][])[k] }));
  for (let i = 0; i < 2; i++) {
    const probs = perScale.map((p) => F.softmax(logitsOf(p[i]), 0));
    assert.deepEqual(probs[0]!.shape, [3, 16, 20]);
    const expected = probs[0]!.add(probs[1]!).add(probs[2]!).div(3).argmax(0, true);
    assert.equal(mismatches(predOf(merged[i]), expected), 0, `image ${i}`);
    assert.ok(perScale.some((p) => mismatches(logitsOf(p[i]).argmax(0, true), expected) > 0), 'some scale alone predicts differently');
  }
  tta.dispose();
});

test("merge rule: mean of softmax (not of raw logits), argmax; one channel: mean probability vs threshold (MMSeg's double sigmoid on request)", () => {
  const tta = new SegTTAModel({ module: segmentor() });
  const sample = (values: number[][]): SegDataSample => ({ metainfo: { ori_shape: [1, values[0]!.length], img_shape: [1, values[0]!.length], img_path: 'a.png', flip: false }, seg_logits: { data: torch.tensor(values.flat(), { shape: [values.length, 1, values[0]!.length] }) } });
  // Pixel 0: raw-logit mean [6.67, 3.33, 0] picks 0; the probability mean [0.34, 0.66, 0.00] picks 1. Pixel 1: plain class 2.
  const merged = tta.mergePreds([[sample([[20, 0], [0, 0], [0, 1]]), sample([[0, 0], [5, 0], [0, 1]]), sample([[0, 0], [5, 0], [0, 1]])]]);
  assert.deepEqual([...predOf(merged[0]).data()].map(Number), [1, 2]);
  assert.deepEqual(merged[0]!.metainfo, { ori_shape: [1, 2], img_path: 'a.png' }, 'img_shape and flip describe one augmentation');

  // seg_logits of a one-channel segmentor are already probabilities: averaged as they are,
  // mean(0.1, 0.5) = 0.3 -> 0 and mean(0.9, 0.5) = 0.7 -> 1 against threshold 0.6.
  const binary = new SegTTAModel({ module: segmentor({ num_classes: 2, out_channels: 1, threshold: 0.6 }) });
  assert.equal((binary.module as unknown as EncoderDecoder).outChannels, 1);
  const one = binary.mergePreds([[sample([[0.1, 0.9]]), sample([[0.5, 0.5]])]]);
  assert.deepEqual([...predOf(one[0]).data()].map(Number), [0, 1]);
  assert.deepEqual(predOf(one[0]).shape, [1, 1, 2]);
  // MMSeg 1.2.2 applies sigmoid again (mmseg_double_sigmoid): mean(sigmoid(0.1), sigmoid(0.5)) = 0.5737
  // <= 0.6 -> 0 and mean(sigmoid(0.9), sigmoid(0.5)) = 0.6675 > 0.6 -> 1; at its default threshold 0.3
  // every pixel would be foreground.
  const mmseg = new SegTTAModel({ module: segmentor({ num_classes: 2, out_channels: 1, threshold: 0.6 }), mmseg_double_sigmoid: true });
  assert.deepEqual([...predOf(mmseg.mergePreds([[sample([[0.1, 0.9]]), sample([[0.5, 0.5]])]])[0]).data()].map(Number), [0, 1]);
  const low = (doubleSigmoid: boolean): number[] => {
    const m = new SegTTAModel({ module: segmentor({ num_classes: 2, out_channels: 1, threshold: 0.3 }), mmseg_double_sigmoid: doubleSigmoid });
    const out = [...predOf(m.mergePreds([[sample([[0.1, 0.2]]), sample([[0.2, 0.6]])]])[0]).data()].map(Number);
    m.dispose();
    return out;
  };
  assert.deepEqual(low(false), [0, 1], 'means 0.15 and 0.4 against 0.3');
  assert.deepEqual(low(true), [1, 1], 'MMSeg: means of sigmoids 0.537 and 0.600, both > 0.3');
  tta.dispose();
  binary.dispose();
  mmseg.dispose();
});

test('errors name the problem: missing module, a module without testStep, a batch that is not per augmentation, no seg_logits', async () => {
  assert.throws(() => MODELS.build({ type: 'SegTTAModel' }, { keyPath: ['model'] }), /model\.module/);
  assert.throws(() => MODELS.build({ type: 'SegTTAModel', module: { type: 'NoSuchSegmentor' } }, { keyPath: ['model'] }), /NoSuchSegmentor/);
  assert.throws(() => new SegTTAModel({ module: new nn.Conv2d(1, 1, 1) }), /module: the wrapped model \(Conv2d\) must implement testStep/);
  assert.throws(() => new SegTTAModel({ module: segmentor(), extra: 1 } as never), /extra/);
  const tta = new SegTTAModel({ module: segmentor() });
  tta.eval();
  await assert.rejects(async () => tta.testStep({ inputs: { data: new Uint8Array(3), shape: [3, 1, 1] }, data_samples: [] }),
    /SegTTAModel\.testStep: data\.inputs must be a list with one entry per augmentation/);
  await assert.rejects(async () => tta.testStep({ inputs: [[], []], data_samples: [[]] }), /data\.data_samples must list 2 augmentations/);
  assert.throws(() => tta.mergePreds([[{ metainfo: { ori_shape: [1, 1] } }]]), /sample 0, augmentation 0: no seg_logits/);
  const ok = { metainfo: { ori_shape: [1, 1] }, seg_logits: { data: torch.zeros([3, 1, 1]) } };
  const big = { metainfo: { ori_shape: [1, 1] }, seg_logits: { data: torch.zeros([3, 2, 2]) } };
  assert.throws(() => tta.mergePreds([[ok, big]]), /augmentation 1: seg_logits are \[3, 2, 2\] but augmentation 0's are \[3, 1, 1\]/);
  tta.dispose();
});

test('weights load into the wrapped model under its own names; val batches merge as test batches', async () => {
  const plain = MODELS.build<EncoderDecoder>(segmentor(), { keyPath: ['model'] });
  plain.initWeights();
  plain.eval();
  const tta = new SegTTAModel({ module: segmentor() });
  tta.eval();
  const { missingKeys, unexpectedKeys } = tta.loadStateDict(plain.stateDict(), { strict: true });
  assert.deepEqual([missingKeys, unexpectedKeys], [[], []]);
  const data = await ttaBatch([[{ type: 'PackSegInputs' }]]);
  const viaTta = tta.valStep(data) as SegDataSample[];
  const direct = plain.testStep({ inputs: (data.inputs as unknown[][])[0], data_samples: (data.data_samples as unknown[][])[0] });
  for (let i = 0; i < 2; i++) assert.equal(mismatches(predOf(viaTta[i]), predOf(direct[i])), 0, 'one augmentation = the plain prediction');
  tta.dispose();
  plain.dispose();
});
