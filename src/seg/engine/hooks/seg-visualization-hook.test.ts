import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import * as torch from '../../../torch/index.js';
import { HOOKS } from '../../../engine/registry/index.js';
import { decodeImage } from '../../../engine/visualization/image.js';
import type { Runner } from '../../../engine/runner/runner.js';
import '../../../engine/visualization/index.js';
import { SegLocalVisualizer } from '../../visualization/seg-local-visualizer.js';
import { SegVisualizationHook } from './seg-visualization-hook.js';

const H = 48;
const W = 64;
const PALETTE: [number, number, number][] = [[0, 0, 0], [255, 0, 0], [0, 255, 0]];

/** Writes `n` images (a grey gradient) and returns SegDataSamples whose prediction is a stripe pattern. */
async function makeSamples(dir: string, n: number): Promise<{ metainfo: { img_path: string }; pred_sem_seg: { data: torch.Tensor }; gt_sem_seg: { data: unknown } }[]> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const pixels = Buffer.alloc(H * W * 3);
    for (let p = 0; p < H * W; p++) pixels.fill(40 + ((p % W) * 2), p * 3, p * 3 + 3);
    const file = join(dir, `frame_${i}.png`);
    await sharp(pixels, { raw: { width: W, height: H, channels: 3 } }).png().toFile(file);
    const labels = Array.from({ length: H * W }, (_, p) => (Math.floor(p / W) < H / 2 ? 1 : 2));
    out.push({
      metainfo: { img_path: file },
      pred_sem_seg: { data: torch.tensor(labels.map((l, p) => (p % W < 8 ? 0 : l)), { dtype: 'int64', shape: [1, H, W] }) },
      gt_sem_seg: { data: { data: Uint8Array.from(labels), shape: [1, H, W] } },
    });
  }
  return out;
}

function fakeRunner(dir: string, iter: number): Runner {
  const loader = { length: 5, dataset: { metainfo: { classes: ['bg', 'top', 'bottom'], palette: PALETTE } }, [Symbol.asyncIterator]: () => { throw new Error('not iterated'); } };
  return { iter, workDir: dir, timestamp: '20240101_000000', valDataloader: loader, testDataloader: loader } as unknown as Runner;
}

function visualizer(dir: string): SegLocalVisualizer {
  return new SegLocalVisualizer({ name: `hook-test-${Math.random()}`, vis_backends: [{ type: 'LocalVisBackend' }], save_dir: dir });
}

test('draws only in val/test, only when draw is true, every interval batches, at step runner.iter', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-vishook-'));
  const samples = await makeSamples(dir, 5);
  const vis = visualizer(join(dir, 'off'));
  const off = HOOKS.build<SegVisualizationHook>({ type: 'SegVisualizationHook', interval: 1 });
  assert.equal(off.draw, false);
  for (let b = 0; b < 5; b++) await off.afterValIter(fakeRunner(dir, 0), b, {}, [samples[b]!]);
  await vis.close();
  assert.ok(!existsSync(join(dir, 'off', 'vis_data', 'vis_image')), 'draw=false draws nothing');

  const vis2 = visualizer(join(dir, 'on'));
  const hook = new SegVisualizationHook({ draw: true, interval: 2 });
  assert.equal(hook.visualizer, vis2, 'the hook draws with the current visualizer');
  const runner = fakeRunner(dir, 1000);
  for (let b = 0; b < 5; b++) {
    await hook.afterTrainIter(runner, b, {});
    await hook.afterValIter(runner, b, {}, [samples[b]!]);
  }
  await hook.afterTestIter(runner, 3, {}, [samples[0]!, samples[4]!]);
  await vis2.close();
  // Batches 1 and 3 of 0..4 (every 2nd); a test batch with two outputs draws both; train never draws.
  assert.deepEqual(readdirSync(join(dir, 'on', 'vis_data', 'vis_image')).sort(),
    ['test_frame_0.png_1000.png', 'test_frame_4.png_1000.png', 'val_frame_1.png_1000.png', 'val_frame_3.png_1000.png']);
  const drawn = await decodeImage(join(dir, 'on', 'vis_data', 'vis_image', 'val_frame_1.png_1000.png'));
  assert.deepEqual([drawn.height, drawn.width], [H, 2 * W], 'GT and prediction side by side');
  // The dataset's palette is used: GT top half red, prediction's first 8 columns class 0 (black).
  const px = (x: number, y: number) => [...drawn.data.subarray((y * drawn.width + x) * 3, (y * drawn.width + x) * 3 + 3)];
  const grey = (x: number) => 40 + x * 2;
  const blend = (img: number, c: number) => Math.trunc(img * (1 - 0.8) + c * 0.8);
  assert.deepEqual(px(20, 40 - 30), [blend(grey(20), 255), blend(grey(20), 0), blend(grey(20), 0)]);
  assert.deepEqual(px(W + 3, 40), [blend(grey(3), 0), blend(grey(3), 0), blend(grey(3), 0)]);
  assert.deepEqual(px(W + 20, 40), [blend(grey(20), 0), blend(grey(20), 255), blend(grey(20), 0)]);
});

test('test mode with test_out_dir writes drawings under <work_dir>/<timestamp>/<test_out_dir>', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-vishook-'));
  const samples = await makeSamples(dir, 2);
  const vis = visualizer(join(dir, 'vis'));
  const hook = new SegVisualizationHook({ draw: true, interval: 1, test_out_dir: 'test_vis' });
  await hook.afterTestIter(fakeRunner(dir, 0), 0, {}, samples);
  await hook.afterValIter(fakeRunner(dir, 0), 0, {}, samples.slice(0, 1));
  await vis.close();
  assert.deepEqual(readdirSync(join(dir, '20240101_000000', 'test_vis')).sort(), ['frame_0.png', 'frame_1.png']);
  assert.deepEqual(readdirSync(join(dir, 'vis', 'vis_data', 'vis_image')), ['val_frame_0.png_0.png'], 'val still goes to the backends');
});

test('show clears the vis backends and writes where it says; hook points and priority are MMSeg\'s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-vishook-'));
  const samples = await makeSamples(dir, 1);
  const vis = visualizer(join(dir, 'vis'));
  const hook = new SegVisualizationHook({ draw: true, interval: 1, show: true });
  assert.equal(vis.visBackends.size, 0);
  await hook.afterValIter(fakeRunner(dir, 5), 0, {}, samples);
  assert.ok(existsSync(join(dir, 'vis', 'show', 'val_frame_0.png')));
  assert.deepEqual(hook.triggeredStages(), ['afterTrainIter', 'afterValIter', 'afterTestIter']);
  assert.equal(SegVisualizationHook.priority, 'NORMAL');
  assert.throws(() => new SegVisualizationHook({ draw: true, backend_args: { backend: 'petrel' } }), /backend_args\.backend: segkit reads images from local files only/);
  assert.throws(() => new SegVisualizationHook({ interval: 0 }), /interval/);
  await assert.rejects(hook.afterValIter(fakeRunner(dir, 5), 0, {}, [{ metainfo: {} }]), /output 0 of val batch 0 has no metainfo\.img_path/);
});
