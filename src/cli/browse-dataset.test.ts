import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../engine/visualization/image.js';
import { registerBrowseDataset } from './browse-dataset.js';
import { runCommand, tinyProject } from './seg-cli-fixture.js';

test('segkit browse-dataset draws the labels of train samples after the train pipeline', async () => {
  const { dir, config } = await tinyProject(3);
  const out = join(dir, 'browse');
  const printed = await runCommand(registerBrowseDataset, ['browse-dataset', config, '--out', out, '--num', '2', '--not-show']);
  assert.match(printed, /drew 2 samples into/);
  assert.deepEqual(readdirSync(out).sort(), ['tiny_000.png', 'tiny_001.png']);
  const drawn = await decodeImage(join(out, 'tiny_001.png'));
  assert.deepEqual([drawn.height, drawn.width], [24, 32], 'ground truth only');
  const at = (y: number, x: number) => [...drawn.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)];
  // The label block inside the red band (x 5..8, y 18..21 in image 1) is green; ignored row 23 is only darkened.
  assert.deepEqual(at(19, 6), [Math.trunc(204 * 0.2), Math.trunc(255 * 0.8), 0]);
  assert.deepEqual(at(19, 2), [Math.trunc(204 * 0.2 + 255 * 0.8), 0, 0]);
  assert.deepEqual(at(23, 2), [Math.trunc(204 * 0.2), 0, 0]);
  await assert.rejects(runCommand(registerBrowseDataset, ['browse-dataset', config, '--num', '0']), /--num: expected a positive integer/);
});
