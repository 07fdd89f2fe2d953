// RepeatDataset: lengths, index mapping, range errors, metainfo, lazy_init, building from DATASETS and option errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../config/errors.js';
import { DATASETS } from '../../registry/index.js';
import { buildDataset, datasetConfigOf } from '../build-dataset.js';
import { ToyDataset } from '../test-helpers.js';
import { RepeatDataset } from './index.js';

const toy = (numItems: number, extra: Record<string, unknown> = {}) => ({ type: 'ToyDataset', num_items: numItems, ...extra });

test('length is times * len and item i is item i % len of the inner dataset, negatives from the end', async () => {
  const repeat = new RepeatDataset({ dataset: toy(3), times: 4 });
  assert.equal(repeat.length, 12);
  assert.deepEqual(await Promise.all(Array.from({ length: 12 }, (_, i) => repeat.getItem(i))).then((xs) => xs.map((x) => (x as { value: number }).value)),
    [0, 10, 20, 0, 10, 20, 0, 10, 20, 0, 10, 20]);
  assert.equal(repeat.innerIndex(11), 2, 'the last index maps to the last inner item');
  assert.equal(repeat.innerIndex(-1), 2);
  assert.equal(repeat.innerIndex(-12), 0);
  assert.equal(repeat.innerIndex(7), 1);
  const item = (await repeat.getItem(7)) as Record<string, unknown>;
  assert.deepEqual(item, { value: 10, name: 'item1', sample_idx: 1 });
});

test('an index outside -len..len-1 is a RangeError naming RepeatDataset and the range', () => {
  const repeat = new RepeatDataset({ dataset: toy(3), times: 2 });
  assert.throws(() => repeat.getItem(6), (e: unknown) => e instanceof RangeError && e.message === 'RepeatDataset: index 6 is outside -6..5');
  assert.throws(() => repeat.getItem(-7), /RepeatDataset: index -7 is outside -6\.\.5/);
  assert.throws(() => repeat.getItem(1.5), /RepeatDataset: index 1\.5 is outside/);
  assert.throws(() => new RepeatDataset({ dataset: toy(0), times: 3 }).getItem(0), /RepeatDataset: index 0 is outside an empty dataset/);
});

test('metainfo is a copy of the inner dataset\'s; getDataInfo gives the inner data info', () => {
  const repeat = new RepeatDataset({ dataset: toy(2, { metainfo: { classes: ['a', 'b'], palette: [[1, 2, 3], [4, 5, 6]] } }), times: 3 });
  assert.deepEqual(repeat.metainfo, { classes: ['a', 'b'], palette: [[1, 2, 3], [4, 5, 6]] });
  (repeat.metainfo.classes as string[]).push('c');
  assert.deepEqual(repeat.metainfo.classes, ['a', 'b'], 'callers cannot change it');
  assert.deepEqual(repeat.getDataInfo(5), { value: 10, name: 'item1', sample_idx: 1 });
  assert.deepEqual(repeat.getDataInfo(-2), { value: 0, name: 'item0', sample_idx: 0 });
});

test('takes a built dataset as well as a config', async () => {
  const inner = new ToyDataset({ num_items: 2 });
  const repeat = new RepeatDataset({ dataset: inner, times: 2 });
  assert.equal(repeat.dataset, inner);
  assert.equal(repeat.length, 4);
  assert.equal(((await repeat.getItem(3)) as { value: number }).value, 10);
});

test('lazy_init defers loading the inner annotations until fullInit', () => {
  const before = ToyDataset.loads;
  const repeat = new RepeatDataset({ dataset: toy(5, { lazy_init: true }), times: 2, lazy_init: true });
  assert.equal(ToyDataset.loads, before);
  assert.equal(repeat.fullyInitialized, false);
  repeat.fullInit();
  assert.equal(ToyDataset.loads, before + 1);
  assert.equal(repeat.length, 10);
  repeat.fullInit();
  assert.equal(ToyDataset.loads, before + 1, 'fullInit runs once');

  // Without lazy_init the wrapper loads its lazy inner dataset right away (MMEngine's full_init).
  const eager = new RepeatDataset({ dataset: toy(5, { lazy_init: true }), times: 2 });
  assert.equal(ToyDataset.loads, before + 2);
  assert.equal(eager.fullyInitialized, true);
});

test('builds from a config through DATASETS (also with a scope prefix) and remembers a worker config', () => {
  const built = buildDataset({ type: 'mmengine.RepeatDataset', times: 3, dataset: toy(4) });
  assert.ok(built instanceof RepeatDataset);
  assert.equal(built.length, 12);
  assert.equal(DATASETS.get('RepeatDataset'), RepeatDataset);
  // Workers build the inner dataset lazily and adopt the main thread's annotations.
  assert.deepEqual(datasetConfigOf(built), { type: 'RepeatDataset', times: 3, lazy_init: false, dataset: { type: 'ToyDataset', num_items: 4, lazy_init: true } });
});

test('bad options name their key path', () => {
  const at = ['train_dataloader', 'dataset'];
  const fails = (cfg: Record<string, unknown>, message: string) =>
    assert.throws(() => buildDataset(cfg, { keyPath: at }), (e: unknown) => e instanceof ConfigError && e.message === message);
  fails({ type: 'RepeatDataset', times: 0, dataset: toy(2) }, 'train_dataloader.dataset.times: expected a positive integer (got 0)');
  fails({ type: 'RepeatDataset', times: 2.5, dataset: toy(2) }, 'train_dataloader.dataset.times: expected a positive integer (got 2.5)');
  fails({ type: 'RepeatDataset', dataset: toy(2) }, 'train_dataloader.dataset.times: expected a positive integer (got nothing)');
  fails({ type: 'RepeatDataset', times: 2, dataset: toy(2), repeat: 3 }, "train_dataloader.dataset: unknown key 'repeat'");
  fails({ type: 'RepeatDataset', times: 2, dataset: 'ToyDataset' }, 'train_dataloader.dataset.dataset: expected a dataset config {type: ...} or a dataset (got "ToyDataset")');
  fails({ type: 'RepeatDataset', times: 2, dataset: { type: 'ToyDataset', num_items: -1 } },
    'train_dataloader.dataset.dataset.num_items: Too small: expected number to be >=0 (got -1)');
  fails({ type: 'RepeatDataset', times: 2, dataset: { type: 'ToyDatset' } },
    "train_dataloader.dataset.dataset.type: 'ToyDatset' is not in the DATASETS registry; did you mean 'ToyDataset'?");
});
