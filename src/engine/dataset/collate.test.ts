import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultCollate, pseudoCollate, registeredFunctionName, resolveFunction, type NdArray } from './collate.js';
import { collectTransferables } from './transferables.js';

const sample = (i: number) => ({
  inputs: { data: Float32Array.from([i, i + 0.5, i + 1, i + 1.5]), shape: [1, 2, 2] },
  data_samples: { img_path: `img${i}.png`, ori_shape: [2, 2] },
  label: i,
});

test('pseudo_collate turns a list of samples into lists per key, recursing into objects and lists', () => {
  const batch = pseudoCollate([sample(0), sample(1)]) as Record<string, unknown>;
  assert.deepEqual(batch.inputs, [sample(0).inputs, sample(1).inputs], 'arrays stay per sample');
  assert.deepEqual(batch.data_samples, { img_path: ['img0.png', 'img1.png'], ori_shape: [[2, 2], [2, 2]] });
  assert.deepEqual(batch.label, [0, 1]);
  assert.deepEqual(pseudoCollate([[1, 'a'], [2, 'b']]), [[1, 2], ['a', 'b']]);
  assert.throws(() => pseudoCollate([[1, 2], [3]]), /must have length 2 \(sample 0's\), but sample 1 has 1/);
});

test('default_collate stacks same-shaped arrays and numbers with a leading batch dimension', () => {
  const batch = defaultCollate([sample(0), sample(1), sample(2)]) as { inputs: NdArray; label: NdArray; data_samples: Record<string, unknown> };
  assert.deepEqual(batch.inputs.shape, [3, 1, 2, 2]);
  assert.ok(batch.inputs.data instanceof Float32Array);
  assert.deepEqual([...batch.inputs.data], [0, 0.5, 1, 1.5, 1, 1.5, 2, 2.5, 2, 2.5, 3, 3.5]);
  assert.deepEqual(batch.label, { data: Int32Array.from([0, 1, 2]), shape: [3] });
  assert.deepEqual(batch.data_samples.img_path, ['img0.png', 'img1.png', 'img2.png']);
  assert.deepEqual(batch.data_samples.ori_shape, [{ data: Int32Array.from([2, 2, 2]), shape: [3] }, { data: Int32Array.from([2, 2, 2]), shape: [3] }]);
  assert.deepEqual(defaultCollate([0.5, 2]), { data: Float64Array.from([0.5, 2]), shape: [2] });
  assert.deepEqual(defaultCollate([true, false]), { data: Uint8Array.from([1, 0]), shape: [2] });
  assert.deepEqual(defaultCollate([Uint8Array.from([1, 2]), Uint8Array.from([3, 4])]), { data: Uint8Array.from([1, 2, 3, 4]), shape: [2, 2] });
});

test('default_collate names the key and shapes it cannot stack', () => {
  const a = { inputs: { data: new Float32Array(4), shape: [2, 2] } };
  const b = { inputs: { data: new Float32Array(6), shape: [2, 3] } };
  assert.throws(() => defaultCollate([a, b]), /^Error: collate: key 'inputs': cannot stack shape \[2,3\] of sample 1 with shape \[2,2\] of sample 0$/);
  const c = { inputs: { data: new Uint8Array(4), shape: [2, 2] } };
  assert.throws(() => defaultCollate([a, c]), /key 'inputs': sample 1 is a Uint8Array, not a Float32Array like sample 0/);
});

test('collate functions are registered under MMEngine names', () => {
  assert.equal(resolveFunction('pseudo_collate', ['collate_fn']), pseudoCollate);
  assert.equal(registeredFunctionName(defaultCollate), 'default_collate');
  assert.throws(() => resolveFunction('pseudo_colate', ['val_dataloader', 'collate_fn']),
    /val_dataloader\.collate_fn\.type: 'pseudo_colate' is not in the COLLATE_FUNCTIONS registry; did you mean 'pseudo_collate'/);
});

test('collectTransferables finds each ArrayBuffer once and leaves shared and pooled memory alone', () => {
  const f = new Float32Array(8);
  const view = new Uint8Array(f.buffer, 4, 4);
  const shared = new Int32Array(new SharedArrayBuffer(16));
  const pooled = Buffer.from('tiny'); // a slice of Node's shared pool
  const found = collectTransferables({ a: [f, view], b: { shared, pooled }, c: 'x', d: new Uint16Array(3) });
  assert.equal(found.length, 2);
  assert.ok(found.includes(f.buffer as ArrayBuffer));
});

test('data elements (objects with metainfo, like SegDataSample) stay whole, as MMEngine keeps data samples', () => {
  const sample = (i: number) => ({ inputs: { data: new Uint8Array([i]), shape: [1] }, data_samples: { metainfo: { img_path: `${i}.png` }, gt_sem_seg: { data: { data: new Uint8Array([i]), shape: [1] } } } });
  const batch = pseudoCollate([sample(1), sample(2)]) as { inputs: unknown[]; data_samples: { metainfo: { img_path: string } }[] };
  assert.equal(batch.inputs.length, 2);
  assert.deepEqual(batch.data_samples.map((s) => s.metainfo.img_path), ['1.png', '2.png']);
});
