import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BaseDataset } from './base-dataset.js';
import { buildDataset, datasetConfigOf } from './build-dataset.js';
import { Compose, TransformError, type Results } from './compose.js';
import { seedDataRandom } from './random.js';
import { ToyDataset } from './test-helpers.js';
import { ConfigError } from '../config/errors.js';

class CityDataset extends BaseDataset {
  static override METAINFO = { classes: ['road', 'car'], palette: [[1, 1, 1], [2, 2, 2]] };
}

function annotationDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-dataset-'));
  writeFileSync(join(dir, 'ann.json'), JSON.stringify({
    metainfo: { classes: ['from-file'], dataset_type: 'city', version: 1 },
    data_list: [{ img_path: 'a.png', id: 0 }, { img_path: 'b.png', id: 1 }, { img_path: 'c.png', id: 2 }],
  }));
  writeFileSync(join(dir, 'classes.txt'), 'road\ncar\nbike\n');
  return dir;
}

test('loads an OpenMMLab 2.0 annotation file, joining data_root and data_prefix', () => {
  const dir = annotationDir();
  const ds = new CityDataset({ ann_file: 'ann.json', data_root: dir, data_prefix: { img_path: 'images' } });
  assert.equal(ds.annFile, join(dir, 'ann.json'));
  assert.equal(ds.length, 3);
  assert.deepEqual(ds.getDataInfo(1), { img_path: join(dir, 'images', 'b.png'), id: 1, sample_idx: 1 });
  assert.deepEqual(ds.getDataInfo(-1), { img_path: join(dir, 'images', 'c.png'), id: 2, sample_idx: 2 });
  assert.throws(() => ds.getDataInfo(3), /CityDataset: index 3 is outside 0\.\.2/);
  const info = ds.getDataInfo(0);
  info.id = 99;
  assert.equal(ds.getDataInfo(0).id, 0, 'getDataInfo returns a copy');
});

test('metainfo: file < class METAINFO < metainfo option, and a file path becomes its lines', () => {
  const dir = annotationDir();
  const ds = new CityDataset({ ann_file: join(dir, 'ann.json'), metainfo: { palette: [[9, 9, 9]] } });
  assert.deepEqual(ds.metainfo, { classes: ['road', 'car'], palette: [[9, 9, 9]], dataset_type: 'city', version: 1 });
  const fromFile = new CityDataset({ ann_file: join(dir, 'ann.json'), metainfo: { classes: join(dir, 'classes.txt') } });
  assert.deepEqual(fromFile.metainfo.classes, ['road', 'car', 'bike']);
  const meta = fromFile.metainfo;
  (meta.classes as string[]).push('x');
  assert.equal((fromFile.metainfo.classes as string[]).length, 3, 'metainfo is a copy');
});

class TaggedDataset extends BaseDataset {
  readonly tag: string;
  constructor(options: unknown) {
    super(options, undefined, { deferInit: true });
    this.tag = 'prepared';
    this.initUnlessLazy();
  }
  override loadDataList() {
    return [{ tag: this.tag }];
  }
}

test('a subclass can prepare its fields before annotations load (deferInit)', () => {
  assert.deepEqual(new TaggedDataset({}).getDataInfo(0), { tag: 'prepared', sample_idx: 0 });
  assert.equal(new TaggedDataset({ lazy_init: true }).fullyInitialized, false);
});

test('indices take a subset; serialized and plain storage give the same infos', () => {
  const first = new ToyDataset({ num_items: 10, indices: 3 });
  assert.deepEqual([0, 1, 2].map((i) => first.getDataInfo(i).value), [0, 10, 20]);
  const last = new ToyDataset({ num_items: 10, indices: -2 });
  assert.deepEqual([0, 1].map((i) => last.getDataInfo(i).value), [80, 90]);
  const picked = new ToyDataset({ num_items: 10, indices: [7, 2] });
  assert.deepEqual([picked.getDataInfo(0), picked.getDataInfo(1)], [{ value: 70, name: 'item7', sample_idx: 0 }, { value: 20, name: 'item2', sample_idx: 1 }]);
  const plain = new ToyDataset({ num_items: 5, serialize_data: false });
  const packed = new ToyDataset({ num_items: 5 });
  for (let i = 0; i < 5; i++) assert.deepEqual(plain.getDataInfo(i), packed.getDataInfo(i));
  assert.ok(packed.sharedState()!.data.bytes.buffer instanceof SharedArrayBuffer);
  assert.equal(plain.sharedState(), null);
});

test('lazy_init defers loading until first use; workers adopt shared annotations without loading', () => {
  const before = ToyDataset.loads;
  const lazy = new ToyDataset({ num_items: 4, lazy_init: true });
  assert.equal(ToyDataset.loads, before);
  assert.equal(lazy.fullyInitialized, false);
  assert.equal(lazy.length, 4);
  assert.equal(ToyDataset.loads, before + 1);
  const adopter = new ToyDataset({ num_items: 4, lazy_init: true });
  adopter.adoptSharedState(lazy.sharedState()!);
  assert.deepEqual(adopter.getDataInfo(3), lazy.getDataInfo(3));
  assert.equal(ToyDataset.loads, before + 1);
});

test('getItem runs the pipeline; a dropped sample is refetched in training and an error in test mode', async () => {
  seedDataRandom(0);
  const ds = new ToyDataset({ num_items: 6, pipeline: [{ type: 'DropAt', indices: [2] }, (r: Results) => ({ ...r, doubled: (r.value as number) * 2 })] });
  assert.deepEqual(await ds.getItem(1), { value: 10, name: 'item1', sample_idx: 1, doubled: 20 });
  const refetched = await ds.getItem(2);
  assert.notEqual(refetched.sample_idx, 2);
  assert.equal(refetched.doubled, (refetched.value as number) * 2);
  const test = new ToyDataset({ num_items: 6, test_mode: true, pipeline: [{ type: 'DropAt', indices: [2] }] });
  await assert.rejects(test.getItem(2), /test-time pipeline dropped sample 2/);
  const hopeless = new ToyDataset({ num_items: 3, max_refetch: 4, pipeline: [{ type: 'DropAt', indices: [0, 1, 2] }] });
  await assert.rejects(hopeless.getItem(0), /no valid sample after 4 refetches/);
});

test('Compose stops at null, awaits async transforms and names the failing step', async () => {
  const seen: string[] = [];
  const pipeline = new Compose([
    (r: Results) => { seen.push('a'); return { ...r, a: 1 }; },
    { transform: async (r: Results) => { seen.push('b'); return { ...r, b: 2 }; } },
    (r: Results) => (r.stop ? null : r),
    () => { seen.push('d'); return {}; },
  ]);
  assert.deepEqual(await pipeline.transform({}), {});
  assert.deepEqual(seen, ['a', 'b', 'd']);
  assert.equal(await pipeline.transform({ stop: true }), null);
  const failing = new Compose([{ type: 'MakeArray' }, { type: 'ThrowAt', index: 4 }]);
  const err = await failing.transform({ value: 1, sample_idx: 4 }).catch((e: unknown) => e);
  assert.ok(err instanceof TransformError);
  assert.equal(err.message, 'pipeline.1 (ThrowAt): boom at sample 4');
  assert.match(String((err.cause as Error).stack), /ThrowAt\.transform/);
});

test('dataset and pipeline config errors carry the key path', () => {
  assert.throws(() => buildDataset({ type: 'ToyDataset', pipeline: [{ type: 'MakeArray' }, { type: 'MakeAray' }] }, { keyPath: ['train_dataloader', 'dataset'] }),
    (e: unknown) => e instanceof ConfigError && /^train_dataloader\.dataset\.pipeline\.1\.type: 'MakeAray' is not in the TRANSFORMS registry; did you mean 'MakeArray'/.test(e.message));
  assert.throws(() => buildDataset({ type: 'ToyDataset', pipeline: [{ type: 'MakeArray', size: '3' }] }, { keyPath: ['val_dataloader', 'dataset'] }),
    /val_dataloader\.dataset\.pipeline\.0\.size: expected number, got "3"/);
  assert.throws(() => buildDataset({ type: 'ToyDataset', num_items: -1 }, { keyPath: ['d'] }), /^ConfigError: d\.num_items: /);
  assert.throws(() => buildDataset({ type: 'ToyDataset', data_prefix: { img_path: 3 } }), /data_prefix\.img_path: expected string, got 3/);
  const built = buildDataset({ type: 'ToyDataset', num_items: 2 });
  assert.deepEqual(datasetConfigOf(built), { type: 'ToyDataset', num_items: 2 });
});
