// segkit_image.node itself: flip and HWC -> CHW layouts, argument errors, and use from worker threads (including termination mid-call).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { cv2, ColorCode } from './cv2-native.js';
import { flip, hwcToChw } from './ndarray-ops.js';

const ramp = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i);

test('flip mirrors pixels (not bytes) in each direction and keeps the type and rank', () => {
  const img = { data: ramp(2 * 3 * 2), shape: [2, 3, 2] };
  assert.deepEqual([...flip(img, 'horizontal').data], [4, 5, 2, 3, 0, 1, 10, 11, 8, 9, 6, 7]);
  assert.deepEqual([...flip(img, 'vertical').data], [6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5]);
  assert.deepEqual([...flip(img, 'diagonal').data], [10, 11, 8, 9, 6, 7, 4, 5, 2, 3, 0, 1]);
  const wide = flip({ data: Float32Array.from([0.5, 1.5, 2.5]), shape: [1, 3, 1] }, 'horizontal');
  assert.ok(wide.data instanceof Float32Array);
  assert.deepEqual(wide.shape, [1, 3, 1]);
  assert.deepEqual([...wide.data], [2.5, 1.5, 0.5]);
});

test('hwcToChw gathers each channel into a plane; [H, W] becomes [1, H, W]', () => {
  const chw = hwcToChw({ data: Uint16Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]), shape: [2, 2, 3] });
  assert.ok(chw.data instanceof Uint16Array);
  assert.deepEqual(chw.shape, [3, 2, 2]);
  assert.deepEqual([...chw.data], [1, 4, 7, 10, 2, 5, 8, 11, 3, 6, 9, 12]);
  const one = hwcToChw({ data: ramp(6), shape: [2, 3] });
  assert.deepEqual(one.shape, [1, 2, 3]);
  assert.deepEqual([...one.data], [0, 1, 2, 3, 4, 5]);
});

test('bad arguments are errors naming the function and what was expected', () => {
  const m = cv2();
  assert.match(m.version, /^4\.6\./);
  assert.throws(() => m.cvtColor(ramp(12), [2, 2, 3], 999), /cvtColor: unsupported conversion code 999/);
  assert.throws(() => m.resize(ramp(12), [2, 2, 3], 4, 4, 7), /resize: interpolation must be an OpenCV INTER_\* code 0\.\.4, got 7/);
  assert.throws(() => m.resize(new Int16Array(4) as unknown as Uint8Array, [2, 2], 4, 4, 1), /resize: data must be a Uint8Array, Uint16Array or Float32Array/);
  assert.throws(() => m.flip(ramp(4), [2, 2], 2), /flip: code must be 1/);
  // OpenCV's own checks come back as JS errors too: HSV needs 3 channels.
  assert.throws(() => m.cvtColor(ramp(4), [2, 2], ColorCode.BGR2HSV), /cvtColor: .*scn/);
  assert.throws(() => m.decode(Uint8Array.from([137, 80, 78, 71]), 1), /decode: OpenCV cannot decode these bytes/);
});

test('workers load the addon and get the same result; terminating a worker mid-call does not abort the process', async () => {
  const addonModule = new URL('./cv2-native.js', import.meta.url).href;
  const m = cv2();
  const src = ramp(300 * 400 * 3);
  const expected = m.resize(src, [300, 400, 3], 520, 390, 1).data;
  const code = `
    import { parentPort } from 'node:worker_threads';
    const { cv2 } = await import(${JSON.stringify(addonModule)});
    const m = cv2();
    const src = Uint8Array.from({ length: 300 * 400 * 3 }, (_, i) => i & 255);
    const out = m.resize(src, [300, 400, 3], 520, 390, 1);
    parentPort.postMessage(out.data, [out.data.buffer]);
    for (;;) m.resize(src, [300, 400, 3], 1040, 780, 1);
  `;
  for (let round = 0; round < 3; round++) {
    const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`));
    const got = await new Promise<Uint8Array>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    assert.deepEqual(got, expected, `round ${round}: the worker's resize equals this thread's`);
    await new Promise((r) => setTimeout(r, 20));
    await worker.terminate();
  }
});
