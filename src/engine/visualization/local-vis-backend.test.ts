import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../config/errors.js';
import { VIS_BACKENDS } from '../registry/index.js';
import { decodeImage, type RgbImage } from './image.js';
import { LocalVisBackend } from './local-vis-backend.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'segkit-local-vis-'));

function gradient(height: number, width: number, channels: number): RgbImage {
  const data = new Uint8Array(height * width * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 37 + 11) % 256;
  return { data, height, width, channels };
}

test('creates nothing until first used, then save_dir', () => {
  const saveDir = join(tmp(), 'work', 'vis_data');
  const backend = new LocalVisBackend({ save_dir: saveDir });
  assert.equal(existsSync(saveDir), false);
  backend.addScalar('lr', 0.1, 0);
  assert.equal(existsSync(join(saveDir, 'scalars.json')), true);
});

test('scalars.json gets one Python-json line per record, step added unless present', () => {
  const saveDir = tmp();
  const backend = new LocalVisBackend({ save_dir: saveDir });
  backend.addScalar('lr', 0.01, 1);
  backend.addScalars({ loss: 0.5, acc: 1e-5, memory: 1234 }, 2);
  backend.addScalars({ a: 1, step: 7 }, 3);
  backend.addScalar('loss', { item: () => 0.25 }, 4);
  backend.addScalars({ loss: NaN, grad_norm: Infinity }, 5);
  assert.equal(readFileSync(join(saveDir, 'scalars.json'), 'utf8'), [
    '{"lr": 0.01, "step": 1}',
    '{"loss": 0.5, "acc": 1e-05, "memory": 1234, "step": 2}',
    '{"a": 1, "step": 7}',
    '{"loss": 0.25, "step": 4}',
    // Python's json writes non-finite floats as bare tokens (allow_nan=True), so MMEngine does too.
    '{"loss": NaN, "grad_norm": Infinity, "step": 5}',
    '',
  ].join('\n'));
});

test('file_path also gets the record; it must be .json and not scalar_save_file', () => {
  const saveDir = tmp();
  const backend = new LocalVisBackend({ save_dir: saveDir, scalar_save_file: 'all.json' });
  backend.addScalars({ mIoU: 71.25 }, 10, 'val.json');
  assert.equal(readFileSync(join(saveDir, 'val.json'), 'utf8'), '{"mIoU": 71.25, "step": 10}\n');
  assert.equal(readFileSync(join(saveDir, 'all.json'), 'utf8'), '{"mIoU": 71.25, "step": 10}\n');
  assert.throws(() => backend.addScalars({ x: 1 }, 0, 'all.json'), /filePath 'all\.json' is scalar_save_file itself/);
  assert.throws(() => backend.addScalars({ x: 1 }, 0, 'val.txt'), /filePath must end in \.json, got 'val\.txt'/);
  assert.throws(() => backend.addScalars([1, 2] as never, 0), /expected a record of scalars, got a list/);
});

test('images are saved as vis_image/<name>_<step>.png and decode to the same pixels', async () => {
  const saveDir = tmp();
  const backend = new LocalVisBackend({ save_dir: saveDir });
  const rgb = gradient(5, 7, 3);
  const grey = gradient(4, 3, 1);
  const rgba = gradient(2, 6, 4);
  await Promise.all([backend.addImage('pred', rgb, 12), backend.addImage('grey', grey), backend.addImage('val/rgba', rgba, 3)]);
  const file = join(saveDir, 'vis_image', 'pred_12.png');
  assert.deepEqual([...readFileSync(file).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  for (const [path, image] of [[file, rgb], [join(saveDir, 'vis_image', 'grey_0.png'), grey], [join(saveDir, 'vis_image', 'val', 'rgba_3.png'), rgba]] as const) {
    const back = await decodeImage(path);
    assert.deepEqual({ ...back, data: [...back.data] }, { ...image, data: [...image.data] }, path);
  }
});

test('an image whose buffer does not match height*width*channels is refused', () => {
  const backend = new LocalVisBackend({ save_dir: tmp() });
  assert.throws(() => backend.addImage('x', { data: new Uint8Array(10), height: 2, width: 2, channels: 3 }),
    /^RangeError: LocalVisBackend\.addImage\('x'\): image\.data has 10 bytes, expected height\*width\*channels = 2\*2\*3 = 12$/);
  assert.throws(() => backend.addImage('x', { data: [1, 2, 3] as never, height: 1, width: 1, channels: 3 }), /image\.data must be a Uint8Array/);
  assert.throws(() => backend.addImage('x', { data: new Uint8Array(6), height: 1, width: 1, channels: 6 }), /image\.channels must be 1, 2, 3 or 4, got 6/);
  assert.throws(() => backend.addImage('x', { data: new Uint8Array(0), height: 0, width: 1, channels: 3 }), /image\.height must be a positive integer, got 0/);
});

test('the config is written as JSON to config_save_file, replacing an earlier one', () => {
  const saveDir = tmp();
  const backend = new LocalVisBackend({ save_dir: saveDir });
  class FCNHead {}
  backend.addConfig({ model: { type: 'EncoderDecoder', decode_head: { type: FCNHead, channels: 512 } }, max_iters: 80000 });
  assert.deepEqual(JSON.parse(readFileSync(join(saveDir, 'config.json'), 'utf8')),
    { model: { type: 'EncoderDecoder', decode_head: { type: 'FCNHead', channels: 512 } }, max_iters: 80000 });
  backend.addConfig({ toDict: () => ({ lr: 0.01 }) });
  assert.equal(readFileSync(join(saveDir, 'config.json'), 'utf8'), '{\n    "lr": 0.01\n}\n');
});

test('builds from VIS_BACKENDS; bad options name the key', () => {
  const saveDir = tmp();
  const backend = VIS_BACKENDS.build<LocalVisBackend>({ type: 'LocalVisBackend', save_dir: saveDir, img_save_dir: 'imgs' });
  assert.ok(backend instanceof LocalVisBackend);
  assert.equal(backend.imgSaveDir, join(saveDir, 'imgs'));
  assert.equal(backend.experiment, backend);
  assert.throws(() => VIS_BACKENDS.build({ type: 'LocalVisBackend', save_dir: saveDir, config_save_file: 'config.py' }, { keyPath: ['visualizer', 'vis_backends', 0] }),
    (e: unknown) => e instanceof ConfigError && e.message === 'visualizer.vis_backends.0.config_save_file: expected a file name ending in .json (got "config.py")');
  assert.throws(() => VIS_BACKENDS.build({ type: 'LocalVisBackend' }), /save_dir: expected string, got nothing/);
  assert.throws(() => VIS_BACKENDS.build({ type: 'LocalVisBackend', save_dir: saveDir, scalar_file: 'a.json' }), /unknown key 'scalar_file'/);
});
