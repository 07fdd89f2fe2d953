// The segmentation datasets: file lists of the real DRIVE and CamVid sets, label ranges after loading, class subsets, ann_file lists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { buildDataset, type Dataset } from '../../engine/dataset/index.js';
import { DATASETS } from '../../engine/registry/index.js';
import { BaseSegDataset, CamVidDataset, DRIVEDataset, listFiles } from './index.js';
import { CAMVID_ROOT, DRIVE_ROOT, tempDir, writePng } from './test-helpers.js';

type Info = Record<string, unknown>;
const infos = (ds: BaseSegDataset): Info[] => Array.from({ length: ds.length }, (_, i) => ds.getDataInfo(i));
const driveSplit = (split: string, extra: Info = {}): BaseSegDataset =>
  new DRIVEDataset({ data_root: DRIVE_ROOT, img_suffix: '.png', seg_map_suffix: '.png', data_prefix: { img_path: `${split}/images`, seg_map_path: `${split}/labels` }, ...extra });
const camvidSplit = (split: string, extra: Info = {}): BaseSegDataset =>
  new CamVidDataset({ data_root: CAMVID_ROOT, data_prefix: { img_path: split, seg_map_path: `${split}annot` }, ...extra });

test('all datasets are registered in DATASETS under their MMSeg names', () => {
  for (const name of ['BaseSegDataset', 'ADE20KDataset', 'CityscapesDataset', 'PascalVOCDataset', 'DRIVEDataset', 'CamVidDataset']) assert.ok(DATASETS.get(name), name);
});

test('DRIVE lists 20 train (21..40) and 20 test (01..20) images with their same-named labels', () => {
  const train = infos(driveSplit('train'));
  const test_ = infos(driveSplit('test'));
  assert.equal(train.length, 20);
  assert.equal(test_.length, 20);
  assert.equal(train[0]!.img_path, join(DRIVE_ROOT, 'train/images/21.png'));
  assert.equal(train[0]!.seg_map_path, join(DRIVE_ROOT, 'train/labels/21.png'));
  assert.equal(train[19]!.img_path, join(DRIVE_ROOT, 'train/images/40.png'));
  assert.equal(test_[0]!.img_path, join(DRIVE_ROOT, 'test/images/01.png'));
  assert.deepEqual(train[0]!, { img_path: train[0]!.img_path, seg_map_path: train[0]!.seg_map_path, label_map: null, reduce_zero_label: false, seg_fields: [], sample_idx: 0 });
  // MMSeg's defaults name labels NN_manual1.png.
  const defaults = new DRIVEDataset({ data_root: DRIVE_ROOT, data_prefix: { img_path: 'train/images', seg_map_path: 'train/labels' } });
  assert.equal(defaults.getDataInfo(0).seg_map_path, join(DRIVE_ROOT, 'train/labels/21_manual1.png'));
  assert.throws(() => driveSplit('val'), /DRIVEDataset: data_prefix.img_path '.*val\/images' does not exist/);
});

test('DRIVE labels load as 0/1 with the images aligned in size', async () => {
  const ds = buildDataset<Info>({ type: 'DRIVEDataset', data_root: DRIVE_ROOT, img_suffix: '.png', seg_map_suffix: '.png',
    data_prefix: { img_path: 'train/images', seg_map_path: 'train/labels' }, pipeline: [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' }] });
  const s = await ds.getItem(3);
  const seg = s.gt_seg_map as { data: Uint8Array; shape: number[] };
  assert.deepEqual(seg.shape, [584, 565]);
  assert.deepEqual((s.img as { shape: number[] }).shape, [584, 565, 3]);
  const values = new Set(seg.data);
  assert.deepEqual([...values].sort(), [0, 1]);
  assert.equal(s.num_classes, 2);
});

test('CamVid lists 367 / 101 / 233 images with labels of the same name in *annot', () => {
  const counts = ['train', 'val', 'test'].map((s) => camvidSplit(s).length);
  assert.deepEqual(counts, [367, 101, 233]);
  const first = camvidSplit('val').getDataInfo(0);
  const name = (first.img_path as string).split('/').at(-1)!;
  assert.equal(first.img_path, join(CAMVID_ROOT, 'val', name));
  assert.equal(first.seg_map_path, join(CAMVID_ROOT, 'valannot', name));
  const paths = infos(camvidSplit('test')).map((i) => i.img_path as string);
  assert.deepEqual(paths, [...paths].sort());
});

test('CamVid labels load in 0..10 with void (11) turned into 255', async () => {
  const ds = buildDataset<Info>({ type: 'CamVidDataset', data_root: CAMVID_ROOT, data_prefix: { img_path: 'train', seg_map_path: 'trainannot' },
    pipeline: [{ type: 'LoadAnnotations' }] });
  assert.deepEqual((ds.metainfo as Info).label_map, { 0: 0, 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6, 7: 7, 8: 8, 9: 9, 10: 10, 11: 255 });
  let voids = 0;
  for (const i of [0, 50, 100, 366]) {
    const s = await ds.getItem(i);
    const raw = decode(readFileSync(s.seg_map_path as string)).data;
    const seg = (s.gt_seg_map as { data: Uint8Array }).data;
    seg.forEach((v, k) => {
      assert.ok(v <= 10 || v === 255, `value ${v}`);
      assert.equal(v, raw[k] === 11 ? 255 : raw[k]);
    });
    voids += seg.filter((v) => v === 255).length;
  }
  assert.ok(voids > 0, 'the samples contain void pixels');
});

test('a class subset remaps labels (dropped classes -> 255) and picks the palette; other names are errors', () => {
  const ds = camvidSplit('val', { metainfo: { classes: ['Road', 'Car', 'Sky'] } });
  const meta = ds.metainfo as { classes: string[]; palette: number[][]; label_map: Record<string, number> };
  assert.deepEqual(meta.label_map, { 0: 2, 1: 255, 2: 255, 3: 0, 4: 255, 5: 255, 6: 255, 7: 255, 8: 1, 9: 255, 10: 255, 11: 255 });
  assert.deepEqual(meta.palette, [[128, 64, 128], [64, 0, 128], [128, 128, 128]]);
  assert.deepEqual(ds.getDataInfo(0).label_map, meta.label_map);
  assert.throws(() => camvidSplit('val', { metainfo: { classes: ['Road', 'Boat'] } }), /metainfo.classes: .*not a subset.*"Boat"/);
  const drive = driveSplit('train', { metainfo: { classes: ['vessel'] } });
  assert.deepEqual(drive.labelMap, { 0: 255, 1: 0 });
});

test('classes without a palette get MMSeg\'s numpy-seeded random colours', () => {
  const root = tempDir('palette');
  mkdirSync(join(root, 'img'));
  const ds = new BaseSegDataset({ data_root: root, data_prefix: { img_path: 'img', seg_map_path: 'ann' }, metainfo: { classes: ['a', 'b', 'c'] } });
  // numpy.random.seed(42); numpy.random.randint(0, 255, size=(3, 3)).tolist()
  assert.deepEqual((ds.metainfo as Info).palette, [[102, 179, 92], [14, 106, 71], [188, 20, 102]]);
  assert.throws(() => new BaseSegDataset({ data_root: root, data_prefix: { img_path: 'img' }, test_mode: true }), /classes` should be specified when testing/);
});

test('folder scans are recursive, skip hidden files and sort by path; ann_file lists names without suffix', () => {
  const root = tempDir('scan');
  for (const d of ['img/b', 'img/a', 'img/.hidden', 'ann/a']) mkdirSync(join(root, d), { recursive: true });
  for (const f of ['img/z.jpg', 'img/b/y.jpg', 'img/a/x.jpg', 'img/.dot.jpg', 'img/.hidden/h.jpg', 'img/a/skip.png']) writeFileSync(join(root, f), '');
  assert.deepEqual(listFiles(join(root, 'img'), '.jpg').sort(), ['.hidden/h.jpg', 'a/x.jpg', 'b/y.jpg', 'z.jpg']);
  const ds = new BaseSegDataset({ data_root: root, data_prefix: { img_path: 'img', seg_map_path: 'ann' }, seg_map_suffix: '_gt.png' });
  assert.deepEqual(infos(ds).map((i) => [i.img_path, i.seg_map_path]), [
    [join(root, 'img/.hidden/h.jpg'), join(root, 'ann/.hidden/h_gt.png')],
    [join(root, 'img/a/x.jpg'), join(root, 'ann/a/x_gt.png')],
    [join(root, 'img/b/y.jpg'), join(root, 'ann/b/y_gt.png')],
    [join(root, 'img/z.jpg'), join(root, 'ann/z_gt.png')],
  ]);
  writeFileSync(join(root, 'split.txt'), 'z\n  b/y \n\n');
  const listed = new BaseSegDataset({ data_root: root, ann_file: 'split.txt', data_prefix: { img_path: 'img', seg_map_path: 'ann' } });
  assert.deepEqual(infos(listed).map((i) => i.img_path), [join(root, 'img/z.jpg'), join(root, 'img/b/y.jpg')]);
  assert.throws(() => new BaseSegDataset({ data_root: root, ann_file: 'missing.txt', data_prefix: { img_path: 'img' } }), /failed to load ann_file '.*missing.txt' \(ENOENT\)/);
});

test('ADE20K, Cityscapes and Pascal VOC keep MMSeg\'s suffixes, reduce_zero_label and ann_file rules', () => {
  const root = tempDir('others');
  mkdirSync(join(root, 'img/sub'), { recursive: true });
  writeFileSync(join(root, 'img/sub/aachen_000000_000019_leftImg8bit.png'), '');
  writeFileSync(join(root, 'img/a.jpg'), '');
  writeFileSync(join(root, 'train.txt'), 'a\n');
  const common = { data_root: root, data_prefix: { img_path: 'img', seg_map_path: 'ann' } };
  const city = buildDataset({ type: 'CityscapesDataset', ...common }) as unknown as BaseSegDataset;
  assert.equal(city.getDataInfo(0).seg_map_path, join(root, 'ann/sub/aachen_000000_000019_gtFine_labelTrainIds.png'));
  assert.equal((city.metainfo as { classes: string[] }).classes.length, 19);
  const ade = buildDataset({ type: 'ADE20KDataset', ...common }) as unknown as BaseSegDataset;
  assert.equal(ade.reduceZeroLabel, true);
  assert.equal(ade.getDataInfo(0).reduce_zero_label, true);
  assert.equal((ade.metainfo as { classes: string[] }).classes.length, 150);
  const voc = buildDataset({ type: 'PascalVOCDataset', ann_file: 'train.txt', ...common }) as unknown as BaseSegDataset;
  assert.deepEqual(voc.getDataInfo(0).seg_map_path, join(root, 'ann/a.png'));
  assert.throws(() => buildDataset({ type: 'PascalVOCDataset', ...common }), /ann_file/);
  assert.throws(() => buildDataset({ type: 'ADE20KDataset', ...common, img_sufix: '.jpg' }), /unknown key 'img_sufix'/);
});

test('data infos are plain JSON and survive serialization; a bad label in the data set names its file', async () => {
  const root = tempDir('json');
  mkdirSync(join(root, 'img'));
  mkdirSync(join(root, 'ann'));
  writePng(join(root, 'img/a.png'), 2, 2, new Uint8Array(12), { channels: 3 });
  writePng(join(root, 'ann/a.png'), 2, 2, Uint8Array.from([0, 1, 12, 11]));
  const cfg = { type: 'CamVidDataset', data_root: root, data_prefix: { img_path: 'img', seg_map_path: 'ann' },
    pipeline: [{ type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' }] };
  const ds = buildDataset(cfg) as Dataset<Info> & BaseSegDataset;
  const info = ds.getDataInfo(0);
  assert.deepEqual(JSON.parse(JSON.stringify(info)), info);
  await assert.rejects(async () => ds.getItem(0), (e: Error) => e.message === `pipeline.1 (LoadAnnotations): ${join(root, 'ann/a.png')}: label value 12 outside 0..10 and ignore_index 255`);
});
