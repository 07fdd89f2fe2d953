import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../engine/visualization/image.js';
import { registerInfer } from './infer.js';
import { runCommand, tinyProject } from './seg-cli-fixture.js';

test('segkit infer writes each image with its prediction drawn at the given opacity', async () => {
  const { dir, images, ckpt, config } = await tinyProject(2);
  const out = join(dir, 'vis');
  const printed = await runCommand(registerInfer, ['infer', config, ckpt, ...images, '--out', out, '--opacity', '0.6', '--device', 'cpu']);
  assert.deepEqual(readdirSync(out).sort(), ['tiny_000.png', 'tiny_001.png']);
  assert.equal(printed.split('\n').length, 2);
  const drawn = await decodeImage(join(out, 'tiny_000.png'));
  const at = (y: number, x: number) => [...drawn.data.subarray((y * 32 + x) * 3, (y * 32 + x) * 3 + 3)];
  // Image bands are 0.8 x the palette colour; prediction = band, so each channel is 204 * 0.4 + 255 * 0.6 (truncated).
  const mix = Math.trunc(204 * (1 - 0.6) + 255 * 0.6);
  assert.deepEqual(at(2, 5), [0, 0, mix]);
  assert.deepEqual(at(12, 5), [0, mix, 0]);
  assert.deepEqual(at(20, 5), [mix, 0, 0], 'the mislabelled block is predicted red: no ground truth is drawn');
});
