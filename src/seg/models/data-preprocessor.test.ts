// SegDataPreProcessor: BGR->RGB, normalisation and MMSeg's padding rules (train: size / size_divisor, test: test_cfg) on hand-made values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../torch/index.js';
import { MODELS } from '../../engine/registry/index.js';
import { SegDataPreProcessor } from './data-preprocessor.js';
import type { SegDataSample } from '../structures/seg-data-sample.js';

/** A CHW uint8 image whose channel c, pixel (y, x) holds 100 * c + 10 * y + x. */
const image = (h: number, w: number): { data: Uint8Array; shape: number[] } => {
  const data = new Uint8Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[c * h * w + y * w + x] = 100 * c + 10 * y + x;
  return { data, shape: [3, h, w] };
};
const labelMap = (h: number, w: number, v: number): { data: Uint8Array; shape: number[] } => ({ data: new Uint8Array(h * w).fill(v), shape: [1, h, w] });
const sample = (h: number, w: number, v = 1): SegDataSample => ({ metainfo: { ori_shape: [h, w], img_shape: [h, w] }, gt_sem_seg: { data: labelMap(h, w, v) } });

const cfg = { type: 'SegDataPreProcessor', mean: [1, 2, 3], std: [2, 4, 8], bgr_to_rgb: true, pad_val: 0, seg_pad_val: 255 };

test('bgr_to_rgb swaps channels 0 and 2, then (x - mean) / std per channel', () => {
  const pre = MODELS.build<SegDataPreProcessor>({ ...cfg, size: [2, 3] });
  const out = pre.forward({ inputs: [image(2, 3)], data_samples: [sample(2, 3)] }, true);
  assert.deepEqual(out.inputs.shape, [1, 3, 2, 3]);
  assert.equal(out.inputs.dtype, 'float32');
  const v = out.inputs.tolist() as number[][][][];
  // RGB channel 0 is the BGR image's channel 2 (200 + 10y + x); mean 1, std 2.
  assert.equal(v[0]![0]![1]![2], (212 - 1) / 2);
  assert.equal(v[0]![1]![0]![0], (100 - 2) / 4);
  assert.equal(v[0]![2]![1]![1], (11 - 3) / 8);
  const gt = (out.data_samples as SegDataSample[])[0]!.gt_sem_seg!.data as torch.Tensor;
  assert.equal(gt.dtype, 'int64');
  assert.deepEqual(gt.shape, [1, 2, 3]);
});

test('training with size_divisor pads right/bottom to the batch max rounded up: pad_val after normalising, labels 255', () => {
  const pre = new SegDataPreProcessor({ mean: [1, 2, 3], std: [2, 4, 8], size_divisor: 4 });
  const out = pre.forward({ inputs: [image(3, 5), image(2, 6)], data_samples: [sample(3, 5, 1), sample(2, 6, 2)] }, true);
  assert.deepEqual(out.inputs.shape, [2, 3, 4, 8]);
  const v = out.inputs.tolist() as number[][][][];
  assert.equal(v[0]![0]![3]![0], 0);
  assert.equal(v[0]![0]![0]![5], 0);
  assert.equal(v[0]![0]![2]![4], (24 - 1) / 2);
  const [s0, s1] = out.data_samples as SegDataSample[];
  const gt0 = (s0!.gt_sem_seg!.data as torch.Tensor).tolist() as number[][][];
  assert.deepEqual(gt0[0]![2], [1, 1, 1, 1, 1, 255, 255, 255]);
  assert.deepEqual(gt0[0]![3], new Array(8).fill(255));
  assert.deepEqual(s0!.metainfo.img_shape, [3, 5]);
  assert.deepEqual(s0!.metainfo.pad_shape, [4, 8]);
  assert.deepEqual(s0!.metainfo.padding_size, [0, 3, 0, 1]);
  assert.deepEqual(s1!.metainfo.padding_size, [0, 2, 0, 2]);
  assert.deepEqual(s1!.metainfo.batch_input_shape, [4, 8]);
});

test('training pads to a fixed size; it needs exactly one of size and size_divisor (as MMSeg)', () => {
  const pre = new SegDataPreProcessor({ size: [6, 7] });
  const out = pre.forward({ inputs: [image(3, 5)], data_samples: [sample(3, 5)] }, true);
  assert.deepEqual(out.inputs.shape, [1, 3, 6, 7]);
  assert.equal((out.inputs.tolist() as number[][][][])[0]![0]![1]![1], 11);
  assert.throws(() => new SegDataPreProcessor({}).forward({ inputs: [image(2, 2)], data_samples: [sample(2, 2)] }, true), /size: only one of size and size_divisor should be set/);
  assert.throws(() => pre.forward({ inputs: [image(8, 5)], data_samples: [sample(8, 5)] }, true), /image 0 is 8x5, larger than the padding size 6x7 \(size\)/);
  assert.throws(() => new SegDataPreProcessor({ mean: [1, 2, 3] }), /std: mean and std should be both null or both lists/);
  assert.throws(() => new SegDataPreProcessor({ bgr_to_rgb: true, rgb_to_bgr: true }), /rgb_to_bgr/);
});

test('testing stacks as is (same sizes required); test_cfg pads and records img_padding_size but leaves labels', () => {
  const plain = new SegDataPreProcessor({});
  const out = plain.forward({ inputs: [image(3, 5), image(3, 5)], data_samples: [sample(3, 5), sample(3, 5)] }, false);
  assert.deepEqual(out.inputs.shape, [2, 3, 3, 5]);
  assert.equal((out.data_samples as SegDataSample[])[0]!.metainfo.pad_shape, undefined);
  assert.throws(() => plain.forward({ inputs: [image(3, 5), image(2, 5)], data_samples: [sample(3, 5), sample(2, 5)] }, false), /image size in a test batch should be the same/);
  const padded = new SegDataPreProcessor({ test_cfg: { size_divisor: 8 } });
  const res = padded.forward({ inputs: [image(3, 5)], data_samples: [sample(3, 5)] }, false);
  assert.deepEqual(res.inputs.shape, [1, 3, 8, 8]);
  const s = (res.data_samples as SegDataSample[])[0]!;
  assert.deepEqual(s.metainfo.img_padding_size, [0, 3, 0, 5]);
  assert.deepEqual(s.metainfo.pad_shape, [8, 8]);
  assert.deepEqual((s.gt_sem_seg!.data as torch.Tensor).shape, [1, 3, 5]);
});

test('mean and std are non-persistent buffers (not in the state dict)', () => {
  const pre = new SegDataPreProcessor({ mean: [1, 2, 3], std: [1, 1, 1] });
  assert.deepEqual([...pre.stateDict().keys()], []);
  assert.deepEqual(pre.mean!.shape, [3, 1, 1]);
});
