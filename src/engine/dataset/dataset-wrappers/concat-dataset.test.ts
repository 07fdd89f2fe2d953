// ConcatDataset: cumulative index mapping, range errors, the metainfo equality check, options and nesting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../config/errors.js';
import { buildDataset, datasetConfigOf } from '../build-dataset.js';
import { ToyDataset } from '../test-helpers.js';
import { ConcatDataset, RepeatDataset } from './index.js';

const toy = (numItems: number, extra: Record<string, unknown> = {}) => ({ type: 'ToyDataset', num_items: numItems, ...extra });
const values = async (d: { length: number; getItem(i: number): unknown }) =>
  Promise.all(Array.from({ length: d.length }, (_, i) => d.getItem(i))).then((xs) => xs.map((x) => (x as { value: number }).value));

test('length is the sum, cumulative sizes as torch, indices map across the boundaries', async () => {
  const concat = new ConcatDataset({ datasets: [toy(2), toy(3), toy(4)] });
  assert.equal(concat.length, 9);
  assert.deepEqual(concat.cumulativeSizes, [2, 5, 9]);
  assert.deepEqual(await values(concat), [0, 10, 0, 10, 20, 0, 10, 20, 30]);
  assert.deepEqual(concat.innerIndex(0), [0, 0]);
  assert.deepEqual(concat.innerIndex(1), [0, 1]);
  assert.deepEqual(concat.innerIndex(2), [1, 0]);
  assert.deepEqual(concat.innerIndex(5), [2, 0]);
  assert.deepEqual(concat.innerIndex(8), [2, 3], 'the last index is the last item of the last dataset');
  assert.deepEqual(concat.innerIndex(-1), [2, 3]);
  assert.deepEqual(concat.innerIndex(-9), [0, 0]);
  assert.deepEqual(concat.innerIndex(-7), [1, 0]);
});

test('empty datasets in the middle are skipped by the index mapping', async () => {
  const concat = new ConcatDataset({ datasets: [toy(1), toy(0), toy(2)] });
  assert.deepEqual(concat.cumulativeSizes, [1, 1, 3]);
  assert.deepEqual(concat.innerIndex(1), [2, 0]);
  assert.deepEqual(await values(concat), [0, 0, 10]);
});

test('an index outside -len..len-1 is a RangeError naming ConcatDataset and the range', () => {
  const concat = new ConcatDataset({ datasets: [toy(2), toy(3)] });
  assert.throws(() => concat.getItem(5), (e: unknown) => e instanceof RangeError && e.message === 'ConcatDataset: index 5 is outside -5..4');
  assert.throws(() => concat.getItem(-6), /ConcatDataset: index -6 is outside -5\.\.4/);
  assert.throws(() => concat.getDataInfo(5), /ConcatDataset: index 5 is outside -5\.\.4/);
});

test('getDataInfo gives the owning dataset\'s data info; metainfo is a copy of the first dataset\'s', () => {
  const concat = new ConcatDataset({ datasets: [toy(2), toy(3)] });
  assert.deepEqual(concat.getDataInfo(3), { value: 10, name: 'item1', sample_idx: 1 });
  assert.deepEqual(concat.metainfo, { classes: ['background', 'thing'] });
  (concat.metainfo.classes as string[]).pop();
  assert.deepEqual(concat.metainfo, { classes: ['background', 'thing'] });
});

test('metainfo must match the first dataset except ignore_keys; errors name the dataset and the key', () => {
  const at = ['train_dataloader', 'dataset'];
  const fails = (datasets: unknown[], message: string, extra: Record<string, unknown> = {}) =>
    assert.throws(() => buildDataset({ type: 'ConcatDataset', datasets, ...extra }, { keyPath: at }),
      (e: unknown) => e instanceof ConfigError && e.message === message);
  fails([toy(2), toy(2, { metainfo: { classes: ['background', 'road'] } })],
    'train_dataloader.dataset.datasets.1: metainfo.classes ["background","road"] does not match the first dataset\'s ["background","thing"] (list \'classes\' in ignore_keys to allow it)');
  fails([toy(2), toy(2, { metainfo: { palette: [[0, 0, 0], [1, 1, 1]] } })],
    "train_dataloader.dataset.datasets.0: metainfo has no 'palette', which datasets.1 has; concatenated datasets need the same metainfo keys (or list 'palette' in ignore_keys)");
  fails([toy(2, { metainfo: { reduce_zero_label: false } }), toy(2, { metainfo: { reduce_zero_label: 'no' } })],
    'train_dataloader.dataset.datasets.1: metainfo.reduce_zero_label is a string, but the first dataset\'s is a boolean');
  fails([toy(2), toy(2), toy(2, { metainfo: { classes: ['background', 'thing'], dataset_name: 'b' } })],
    "train_dataloader.dataset.datasets.0: metainfo has no 'dataset_name', which datasets.2 has; concatenated datasets need the same metainfo keys (or list 'dataset_name' in ignore_keys)");

  const named = (name: string) => toy(2, { metainfo: { dataset_name: name } });
  const ok = new ConcatDataset({ datasets: [named('a'), named('b')], ignore_keys: 'dataset_name' });
  assert.equal(ok.metainfo.dataset_name, 'a', 'the first dataset\'s value');
  const okList = new ConcatDataset({ datasets: [toy(1), toy(1, { metainfo: { classes: ['x'], extra: 1 } })], ignore_keys: ['classes', 'extra'] });
  assert.deepEqual(okList.metainfo, { classes: ['background', 'thing'] });
});

test('bad options name their key path', () => {
  const at = ['train_dataloader', 'dataset'];
  const fails = (cfg: Record<string, unknown>, message: string) =>
    assert.throws(() => buildDataset(cfg, { keyPath: at }), (e: unknown) => e instanceof ConfigError && e.message === message);
  fails({ type: 'ConcatDataset', datasets: [] }, 'train_dataloader.dataset.datasets: expected at least one dataset (got a list)');
  fails({ type: 'ConcatDataset', datasets: [toy(1), 3] }, 'train_dataloader.dataset.datasets.1: expected a dataset config {type: ...} or a dataset (got 3)');
  fails({ type: 'ConcatDataset', datasets: [toy(1)], ignore_keys: 3 }, 'train_dataloader.dataset.ignore_keys: expected a key or a list of keys (got 3)');
  fails({ type: 'ConcatDataset', dataset: [toy(1)] }, 'train_dataloader.dataset.datasets: expected array, got nothing');
  fails({ type: 'ConcatDataset', datasets: [toy(1), { type: 'ToyDataset', bad: 1 }] }, "train_dataloader.dataset.datasets.1: unknown key 'bad'");
});

test('nested wrappers: a RepeatDataset of a ConcatDataset, lazily loaded in one go', async () => {
  const before = ToyDataset.loads;
  const nested = buildDataset({
    type: 'RepeatDataset', times: 2, lazy_init: true,
    dataset: { type: 'ConcatDataset', lazy_init: true, datasets: [toy(2, { lazy_init: true }), toy(1, { lazy_init: true })] },
  }) as RepeatDataset;
  // buildDataset calls fullInit, as MMEngine's Runner does, which loads all the way down.
  assert.equal(ToyDataset.loads, before + 2);
  assert.equal(nested.length, 6);
  assert.deepEqual(await values(nested), [0, 10, 0, 0, 10, 0]);
  assert.deepEqual(nested.getDataInfo(5), { value: 0, name: 'item0', sample_idx: 0 });
  assert.deepEqual(datasetConfigOf(nested), {
    type: 'RepeatDataset', times: 2, lazy_init: true,
    dataset: {
      type: 'ConcatDataset', lazy_init: true,
      datasets: [{ type: 'ToyDataset', num_items: 2, lazy_init: true }, { type: 'ToyDataset', num_items: 1, lazy_init: true }],
    },
  });
});

test('a ConcatDataset of built datasets without configs has no worker config', () => {
  const concat = new ConcatDataset({ datasets: [new ToyDataset({ num_items: 1 }), toy(1)] });
  assert.equal(concat.length, 2);
  assert.equal(datasetConfigOf(concat), undefined);
});
