import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../engine/visualization/image.js';
import { registerTest } from './test.js';
import { runCommand, tinyProject } from './seg-cli-fixture.js';

test('segkit test loads the checkpoint, prints MMSeg\'s metrics, writes predictions (--out) and drawings (--show-dir)', async () => {
  const { dir, ckpt, config } = await tinyProject(2);
  const out = join(dir, 'preds');
  const show = join(dir, 'show');
  const printed = await runCommand(registerTest, ['test', config, ckpt, '--work-dir', join(dir, 'work'), '--out', out, '--show-dir', show,
    '--cfg-options', 'default_hooks.visualization.interval=1']);
  // Two images: intersections [480, 480, 416], labels [480, 512, 416], unions [480, 512, 448] (see writeTinyData).
  assert.match(printed, /^aAcc: 97\.73 {2}mIoU: 95\.54 {2}mAcc: 97\.92$/m);
  assert.deepEqual(readdirSync(out).sort(), ['tiny_000.png', 'tiny_001.png']);
  const pred = await decodeImage(join(out, 'tiny_001.png'));
  assert.deepEqual([pred.data[0], pred.data[10 * 32], pred.data[20 * 32]], [0, 1, 2], 'bands predicted as blue, green, red');
  assert.deepEqual(readdirSync(join(show, 'vis_data', 'vis_image')).sort(), ['test_tiny_000.png_0.png', 'test_tiny_001.png_0.png']);
  const drawn = await decodeImage(join(show, 'vis_data', 'vis_image', 'test_tiny_000.png_0.png'));
  assert.deepEqual([drawn.height, drawn.width], [24, 64], 'ground truth and prediction side by side');
});

test('segkit test without the checkpoint file or with --format-only but no --out fails with a clear error', async () => {
  const { dir, config } = await tinyProject(1);
  await assert.rejects(runCommand(registerTest, ['test', config, join(dir, 'missing.ckpt'), '--work-dir', join(dir, 'work')]), /missing\.ckpt: checkpoint file not found/);
  await assert.rejects(runCommand(registerTest, ['test', config, join(dir, 'tiny.ckpt'), '--format-only']), /--format-only: needs --out/);
});

test('--format-only writes predictions and computes no metrics', async () => {
  const { dir, ckpt, config } = await tinyProject(1);
  const printed = await runCommand(registerTest, ['test', config, ckpt, '--work-dir', join(dir, 'work'), '--out', join(dir, 'o'), '--format-only']);
  assert.match(printed, /no metrics \(format only\)/);
  assert.deepEqual(readdirSync(join(dir, 'o')), ['tiny_000.png']);
});
