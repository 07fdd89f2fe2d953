import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeImage, encodePng } from './image.js';

test('PNG encoding keeps 1, 2, 3 and 4 channels and every pixel', async () => {
  for (const channels of [1, 2, 3, 4]) {
    const data = new Uint8Array(Array.from({ length: 5 * 3 * channels }, (_, i) => (i * 53 + 7) % 256));
    const png = await encodePng({ data, height: 5, width: 3, channels });
    // IHDR colour type: 0 grey, 4 grey+alpha, 2 RGB, 6 RGBA.
    assert.equal(png[25], [0, 4, 2, 6][channels - 1], `colour type for ${channels} channels`);
    const back = await decodeImage(png);
    assert.deepEqual({ ...back, data: [...back.data] }, { height: 5, width: 3, channels, data: [...data] });
  }
});
