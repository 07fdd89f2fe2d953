import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { renderScene, SyntheticShapesDataset } from './synthetic-shapes.js';
import './index.js';

test('scenes are seeded by (seed, index), have several classes and exact label shapes', () => {
  const a = renderScene(0, 7, 64, 80, 6);
  const b = renderScene(0, 7, 64, 80, 6);
  assert.deepEqual(a.img.data, b.img.data);
  assert.deepEqual(a.gt_seg_map.data, b.gt_seg_map.data);
  assert.deepEqual(a.img.shape, [64, 80, 3]);
  assert.deepEqual(a.gt_seg_map.shape, [64, 80]);
  assert.notDeepEqual(renderScene(1, 7, 64, 80, 6).img.data, a.img.data);
  assert.notDeepEqual(renderScene(0, 8, 64, 80, 6).img.data, a.img.data);
  const seen = new Set<number>();
  for (let i = 0; i < 40; i++) for (const v of renderScene(0, i, 64, 64, 6).gt_seg_map.data) seen.add(v);
  assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5]);
});

test('labels match the pixels: foreground pixels are saturated, background ones are not', () => {
  const { img, gt_seg_map } = renderScene(3, 1, 96, 96, 6);
  let fgSat = 0, fg = 0, bgSat = 0, bg = 0;
  for (let p = 0; p < 96 * 96; p++) {
    const px = [img.data[p * 3]!, img.data[p * 3 + 1]!, img.data[p * 3 + 2]!];
    const sat = (Math.max(...px) - Math.min(...px)) / Math.max(1, Math.max(...px));
    if (gt_seg_map.data[p]) { fgSat += sat; fg++; } else { bgSat += sat; bg++; }
  }
  assert.ok(fg > 0 && bg > 0);
  assert.ok(fgSat / fg > 0.45, `foreground saturation ${fgSat / fg}`);
  assert.ok(bgSat / bg < 0.3, `background saturation ${bgSat / bg}`);
});

test('the dataset gives packed samples, class metainfo, and writes PNGs when asked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-shapes-'));
  const ds = new SyntheticShapesDataset({
    num_samples: 4, img_size: [48, 64], num_classes: 4, seed: 5, save_images: true, cache_dir: dir,
    pipeline: [{ type: 'RandomFlip', prob: 0.5 }, { type: 'PhotoMetricDistortion' }, { type: 'PackSegInputs' }],
  });
  assert.equal(ds.length, 4);
  assert.deepEqual(ds.metainfo.classes, ['background', 'disc', 'box', 'triangle']);
  assert.equal((ds.metainfo.palette as unknown[]).length, 4);
  const out = await ds.getItem(2) as { inputs: { shape: number[] }; data_samples: { metainfo: Record<string, unknown>; gt_sem_seg: { data: { data: Uint8Array; shape: number[] } } } };
  assert.deepEqual(out.inputs.shape, [3, 48, 64]);
  assert.deepEqual(out.data_samples.gt_sem_seg.data.shape, [1, 48, 64]);
  assert.ok(Math.max(...out.data_samples.gt_sem_seg.data.data) <= 3);
  const path = join(dir, 'shapes_000002.png');
  assert.equal(out.data_samples.metainfo.img_path, path);
  assert.ok(existsSync(path));
  const png = decode(readFileSync(path));
  const scene = renderScene(5, 2, 48, 64, 4);
  assert.deepEqual([png.height, png.width, png.channels], [48, 64, 3]);
  // PNG is RGB, the scene BGR.
  assert.deepEqual([png.data[0], png.data[1], png.data[2]], [scene.img.data[2], scene.img.data[1], scene.img.data[0]]);
  assert.throws(() => new SyntheticShapesDataset({ num_classes: 9 }), /num_classes/);
  assert.throws(() => new SyntheticShapesDataset({ metainfo: { classes: ['a', 'b'] } }), /metainfo\.classes.*6 class names/);
});
