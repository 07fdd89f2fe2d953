// SegDataSample helpers: metainfo merging, pixel map shapes, NdArray detection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../torch/index.js';
import { batchImgMetas, createSegDataSample, isNdArray, pixelDataShape, setMetainfo } from './index.js';

test('createSegDataSample copies metainfo; setMetainfo merges keys', () => {
  const meta = { ori_shape: [4, 5], img_shape: [4, 5], img_path: 'a.png' };
  const s = createSegDataSample(meta, { gt_sem_seg: { data: { data: new Uint8Array(20), shape: [1, 4, 5] } } });
  assert.notEqual(s.metainfo, meta);
  setMetainfo(s, { pad_shape: [8, 8], flip: true });
  assert.deepEqual(s.metainfo, { ori_shape: [4, 5], img_shape: [4, 5], img_path: 'a.png', pad_shape: [8, 8], flip: true });
  assert.deepEqual(batchImgMetas([s]), [s.metainfo]);
});

test('pixelDataShape reads [H, W] from NdArray and Tensor data; isNdArray tells plain arrays apart', () => {
  assert.deepEqual(pixelDataShape({ data: { data: new Uint8Array(6), shape: [1, 2, 3] } }), [2, 3]);
  assert.deepEqual(pixelDataShape({ data: torch.zeros([3, 7, 9]) }), [7, 9]);
  assert.ok(isNdArray({ data: new Uint8Array(1), shape: [1] }));
  assert.ok(!isNdArray(torch.zeros([1])));
  assert.throws(() => pixelDataShape({ data: torch.zeros([3]) }), /expected \[C, H, W\] data/);
});
