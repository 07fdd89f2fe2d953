import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as torch from '../../torch/index.js';
import { VISUALIZERS } from '../../engine/registry/index.js';
import { MMLogger } from '../../engine/logging/logger.js';
import { decodeImage, type RgbImage } from '../../engine/visualization/image.js';
import '../../engine/visualization/index.js';
import { SegLocalVisualizer } from './seg-local-visualizer.js';
import { centerLoc } from './draw-sem-seg.js';
import { chwBgrToRgbImage } from './read-image.js';

const CLASSES = ['sky', 'road', 'car'];
const PALETTE: [number, number, number][] = [[70, 130, 180], [128, 64, 128], [0, 0, 142]];

/** A gradient image and a label map: sky on top, road below, a car block; 9 = a value outside the classes. */
function scene(h: number, w: number): { image: RgbImage; gt: Uint8Array; pred: Uint8Array } {
  const image = { data: new Uint8Array(h * w * 3), height: h, width: w, channels: 3 };
  const gt = new Uint8Array(h * w);
  const pred = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const p = y * w + x;
      image.data.set([(x * 3) % 256, (y * 5) % 256, 100], p * 3);
      gt[p] = y < h / 3 ? 0 : x > w / 2 && y > h / 2 ? 2 : 1;
      pred[p] = y < h / 2 ? 0 : gt[p]!;
    }
  }
  gt[0] = 9;
  return { image, gt, pred };
}

const blend = (img: number, color: number, alpha = 0.8): number => Math.trunc(img * (1 - alpha) + color * alpha);
const px = (im: RgbImage, x: number, y: number): number[] => [...im.data.subarray((y * im.width + x) * 3, (y * im.width + x) * 3 + 3)];

function sample(h: number, w: number, gt: Uint8Array, pred: Uint8Array) {
  return {
    gt_sem_seg: { data: { data: gt, shape: [1, h, w] } },
    pred_sem_seg: { data: torch.tensor(Array.from(pred), { dtype: 'int64', shape: [1, h, w] }) },
  };
}

test('draws GT left and prediction right as palette overlays (alpha 0.8) through the vis backends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-vis-'));
  const vis = VISUALIZERS.build<SegLocalVisualizer>({ type: 'SegLocalVisualizer', name: `t1-${Math.random()}`, vis_backends: [{ type: 'LocalVisBackend' }], save_dir: dir });
  vis.datasetMeta = { classes: CLASSES, palette: PALETTE };
  const { image, gt, pred } = scene(60, 80);
  await vis.addDatasample('val_img.png', image, { dataSample: sample(60, 80, gt, pred), step: 7, withLabels: false });
  await vis.close();
  const file = join(dir, 'vis_data', 'vis_image', 'val_img.png_7.png');
  const drawn = await decodeImage(file);
  assert.deepEqual([drawn.height, drawn.width, drawn.channels], [60, 160, 3]);
  const at = (x: number, y: number) => px(image, x, y);
  // (10, 25): GT road, prediction sky; (70, 50): car in both; (0, 0): label 9 is outside the classes, only darkened.
  assert.deepEqual(px(drawn, 10, 25), at(10, 25).map((v, c) => blend(v, PALETTE[1]![c]!)));
  assert.deepEqual(px(drawn, 80 + 10, 25), at(10, 25).map((v, c) => blend(v, PALETTE[0]![c]!)));
  assert.deepEqual(px(drawn, 80 + 70, 50), at(70, 50).map((v, c) => blend(v, PALETTE[2]![c]!)));
  assert.deepEqual(px(drawn, 0, 0), at(0, 0).map((v) => blend(v, 0)));
  assert.deepEqual(px(vis.getImage(), 70, 50), px(drawn, 150, 50), 'the last drawing is the visualizer\'s image');
});

test('with_labels writes each class name in a box of its colour at the class\'s centre row', async () => {
  const vis = new SegLocalVisualizer({ name: `t2-${Math.random()}`, classes: CLASSES, palette: PALETTE });
  const { image, gt } = scene(320, 360);
  const map = { data: Int32Array.from(gt), height: 320, width: 360 };
  const plain = await vis.drawSemSeg(image, { data: { data: gt, shape: [1, 320, 360] } }, false);
  const labelled = await vis.drawSemSeg(image, { data: { data: gt, shape: [1, 320, 360] } }, true);
  for (const label of [0, 1, 2]) {
    const [x, y] = centerLoc(map, label);
    // Inside the box: some text pixels (white blended: all channels >= 204) where the plain drawing has none.
    let text = 0;
    let changed = 0;
    for (let dy = 2; dy < 14; dy++) {
      for (let dx = 2; dx < 40 && x + dx < 360; dx++) {
        const a = px(labelled, x + dx, y + dy);
        if (a.every((v) => v >= 204)) text++;
        if (a.join() !== px(plain, x + dx, y + dy).join()) changed++;
      }
    }
    assert.ok(text > 5, `class ${CLASSES[label]}: ${text} white text pixels near (${x}, ${y})`);
    assert.ok(changed > 0);
    // The box outline is black: blended, 0.2 * image.
    assert.deepEqual(px(labelled, x, y + 5), px(image, x, y + 5).map((v) => blend(v, 0)));
  }
  // Far from the labels the two drawings agree.
  assert.deepEqual(px(labelled, 5, 300), px(plain, 5, 300));
});

test('centre location: the middle pixel of the first row where the class covers most pixels (MMSeg _get_center_loc)', () => {
  const data = Int32Array.from([
    0, 1, 1, 0, 0,
    1, 1, 0, 1, 1,
    0, 1, 1, 1, 1,
  ]);
  // Rows 1 and 2 both have 4 pixels of class 1: the first wins; its pixels are x = 0, 1, 3, 4 -> middle index 2 -> x = 3.
  assert.deepEqual(centerLoc({ data, height: 3, width: 5 }, 1), [3, 1]);
  // Class 0 covers most of row 0 (x = 0, 3, 4): middle index 1 -> x = 3.
  assert.deepEqual(centerLoc({ data, height: 3, width: 5 }, 0), [3, 0]);
});

test('outFile writes the drawing there instead of the backends; show writes under save_dir/show and logs it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-vis-'));
  let log = '';
  MMLogger.getInstance(`vis-test-${Math.random()}`, { stream: { write: (t: string) => { log += t; } }, color: false });
  const vis = new SegLocalVisualizer({ name: `t3-${Math.random()}`, vis_backends: [{ type: 'LocalVisBackend' }], save_dir: dir, classes: CLASSES, palette: PALETTE, alpha: 0.5 });
  const { image, gt, pred } = scene(30, 40);
  const out = join(dir, 'nested', 'out.jpg');
  await vis.addDatasample('a', image, { dataSample: sample(30, 40, gt, pred), drawGt: false, outFile: out, show: true, withLabels: false });
  await vis.close();
  assert.ok(existsSync(out));
  const jpg = await decodeImage(out);
  assert.deepEqual([jpg.height, jpg.width], [30, 40], 'prediction only');
  assert.ok(!existsSync(join(dir, 'vis_data', 'vis_image')), 'nothing went to the backends');
  const shown = join(dir, 'show', 'a.png');
  const png = await decodeImage(shown);
  assert.deepEqual(px(png, 30, 25), px(image, 30, 25).map((v, c) => blend(v, PALETTE[2]![c]!, 0.5)));
  assert.match(log, new RegExp(`no display to show 'a'; wrote ${shown}`));
  assert.deepEqual(readdirSync(join(dir, 'show')), ['a.png']);
});

test('dataset meta defaults to Cityscapes as in MMSeg; mismatched or missing meta is an error', async () => {
  const vis = new SegLocalVisualizer({ name: `t4-${Math.random()}` });
  assert.equal((vis.datasetMeta!.classes as string[]).length, 19);
  assert.deepEqual((vis.datasetMeta!.palette as number[][])[0], [128, 64, 128]);
  assert.throws(() => new SegLocalVisualizer({ name: 'x', classes: ['a', 'b'] }), /2 classes but 19 palette colours \(the missing one came from dataset 'cityscapes'\)/);
  assert.throws(() => new SegLocalVisualizer({ name: 'y', dataset_name: 'nosuch' }), /dataset_name 'nosuch'/);
  assert.throws(() => new SegLocalVisualizer({ name: 'z', alpha: 2 } as never), /alpha/);
  vis.datasetMeta = {};
  const { image, gt, pred } = scene(6, 8);
  await assert.rejects(vis.addDatasample('n', image, { dataSample: sample(6, 8, gt, pred) }), /class information is not provided/);
  vis.datasetMeta = { classes: CLASSES, palette: PALETTE };
  await assert.rejects(vis.addDatasample('n', image, { dataSample: sample(6, 7, gt.subarray(0, 42), pred.subarray(0, 42)) }), /label map is 6x7 but the image is 6x8/);
});

test('packed CHW BGR inputs turn back into RGB images', () => {
  const data = Uint8Array.from([1, 2, 10, 20, 100, 200]); // B plane, G plane, R plane of a 1x2 image
  const im = chwBgrToRgbImage({ data, shape: [3, 1, 2] });
  assert.deepEqual([...im.data], [100, 10, 1, 200, 20, 2]);
});
