import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { VIS_BACKENDS } from '../registry/index.js';
import { decodeImage, type RgbImage } from './image.js';
import { TensorboardVisBackend } from './tensorboard-vis-backend.js';
import { maskedCrc32c } from './tensorboard/tfrecord.js';
import { crc32cBitwise, readEvents, readRecords } from './testing/tfevents-reader.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'segkit-tb-'));
const eventFiles = (dir: string) => readdirSync(dir).filter((f) => f.includes('tfevents'));

test('CRC32C matches the standard check value, in the writer and in the test reader', () => {
  const check = Buffer.from('123456789');
  assert.equal(crc32cBitwise(check), 0xe3069283);
  const crc = 0xe3069283;
  assert.equal(maskedCrc32c(check), ((((crc >>> 15) | (crc << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

test('creates nothing until used, then events.out.tfevents.<time>.<host>.<pid>.<uid> led by the file version', () => {
  const saveDir = join(tmp(), 'vis_data');
  const t0 = Date.now() / 1000;
  const backend = VIS_BACKENDS.build<TensorboardVisBackend>({ type: 'TensorboardVisBackend', save_dir: saveDir });
  assert.equal(existsSync(saveDir), false);
  const path = backend.experiment.path;
  const [name] = eventFiles(saveDir);
  assert.equal(join(saveDir, name!), path);
  const escapedHost = hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  assert.match(name!, new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${escapedHost}\\.${process.pid}\\.\\d+$`));
  assert.ok(Math.abs(Number(name!.split('.')[3]) - Math.floor(t0)) <= 1);
  const [first, ...rest] = readEvents(path);
  assert.equal(rest.length, 0);
  assert.equal(first!.fileVersion, 'brain.Event:2');
  assert.equal(first!.step, undefined);
  assert.ok(first!.wallTime >= t0 - 0.01 && first!.wallTime <= Date.now() / 1000 + 0.01);
});

test('scalars, images and the config round-trip through an independent reader', async () => {
  const saveDir = tmp();
  const backend = new TensorboardVisBackend({ save_dir: saveDir });
  const t0 = Date.now() / 1000;
  backend.addScalar('lr', 0.01, 1);
  backend.addScalars({ loss: 0.5, 'decode.acc_seg': 93.75 }, 2);
  backend.addScalar('loss', { item: () => 0.125 }, 3);
  backend.addScalars({ loss: NaN, grad_norm: Infinity, neg: -Infinity }, 4);
  backend.addScalar('zero', 0, 5);
  backend.addScalar('big_step', 2.5, 2 ** 40 + 0.7);
  const image: RgbImage = { data: new Uint8Array(Array.from({ length: 3 * 4 * 3 }, (_, i) => (i * 29) % 256)), height: 3, width: 4, channels: 3 };
  await backend.addImage('val/pred', image, 6);
  backend.addConfig({ model: { type: 'EncoderDecoder' }, max_iters: 100 });
  await backend.close();
  const t1 = Date.now() / 1000;

  const [file] = eventFiles(saveDir);
  const [header, ...events] = readEvents(join(saveDir, file!));
  assert.equal(header!.fileVersion, 'brain.Event:2');
  for (const e of [header!, ...events]) assert.ok(e.wallTime >= t0 - 0.01 && e.wallTime <= t1 + 0.01, `wall time ${e.wallTime} in [${t0}, ${t1}]`);
  for (let i = 1; i < events.length; i++) assert.ok(events[i]!.wallTime >= events[i - 1]!.wallTime);

  const scalars = events.filter((e) => e.values?.[0]?.simpleValue !== undefined).map((e) => [e.values![0]!.tag, e.step, e.values![0]!.simpleValue]);
  assert.deepEqual(scalars, [
    ['lr', 1, Math.fround(0.01)],
    ['loss', 2, 0.5],
    ['decode.acc_seg', 2, 93.75],
    ['loss', 3, 0.125],
    ['loss', 4, NaN],
    ['grad_norm', 4, Infinity],
    ['neg', 4, -Infinity],
    ['zero', 5, 0],
    ['big_step', 2 ** 40, 2.5],
  ]);

  const imageEvent = events.find((e) => e.values?.[0]?.image);
  assert.equal(imageEvent!.step, 6);
  const { tag, image: stored } = imageEvent!.values![0]!;
  assert.equal(tag, 'val/pred');
  assert.deepEqual([stored!.height, stored!.width, stored!.colorspace], [3, 4, 3]);
  assert.deepEqual([...stored!.encoded.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  assert.deepEqual([stored!.encoded.readUInt32BE(16), stored!.encoded.readUInt32BE(20)], [4, 3], 'PNG IHDR width, height');
  const decoded = await decodeImage(stored!.encoded);
  assert.deepEqual([...decoded.data], [...image.data]);

  const configEvent = events.at(-1)!;
  assert.equal(configEvent.step, undefined);
  const text = configEvent.values![0]!;
  assert.equal(text.tag, 'config/text_summary');
  assert.equal(text.pluginName, 'text');
  assert.deepEqual([text.tensor!.dtype, text.tensor!.dims], [7, [1]]);
  assert.deepEqual(JSON.parse(text.tensor!.strings[0]!), { model: { type: 'EncoderDecoder' }, max_iters: 100 });
});

test('the reader notices a corrupted record', () => {
  const backend = new TensorboardVisBackend({ save_dir: tmp() });
  backend.addScalar('lr', 0.5, 1);
  const path = backend.experiment.path;
  const bytes = readFileSync(path);
  assert.equal(readRecords(path).length, 2);
  bytes[bytes.length - 6] ^= 0x01; // inside the last record's float
  writeFileSync(path, bytes);
  assert.throws(() => readRecords(path), /bad data CRC/);
});

test("a 'step' key, a non-finite step and bad images are errors; non-numbers are skipped with a warning", async () => {
  const backend = new TensorboardVisBackend({ save_dir: tmp() });
  assert.throws(() => backend.addScalars({ loss: 1, step: 3 }, 3), /the record has a 'step' key; pass the step as the step argument/);
  assert.throws(() => backend.addScalar('loss', 1, NaN), /addScalar\('loss'\): step must be a finite number, got NaN/);
  assert.throws(() => backend.addImage('im', { data: new Uint8Array(5), height: 2, width: 2, channels: 1 }),
    /TensorboardVisBackend\.addImage\('im'\): image\.data has 5 bytes, expected height\*width\*channels = 2\*2\*1 = 4/);
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
  backend.addScalars({ mode: 'train' as never, loss: 0.25 }, 7);
  assert.match((await warned).message, /addScalar\('mode'\): got string, but a number or 0-d tensor is expected; skipped/);
  await backend.close();
  const tags = readEvents(backend.experiment.path).flatMap((e) => e.values?.map((v) => [v.tag, e.step]) ?? []);
  assert.deepEqual(tags, [['loss', 7]]);
  assert.throws(() => backend.addScalar('late', 1, 8), /the event file is closed/);
});

test('two backends in one directory write two files', () => {
  const saveDir = tmp();
  const a = new TensorboardVisBackend({ save_dir: saveDir });
  const b = new TensorboardVisBackend({ save_dir: saveDir });
  a.addScalar('x', 1, 0);
  b.addScalar('x', 2, 0);
  assert.equal(eventFiles(saveDir).length, 2);
  assert.notEqual(a.experiment.path, b.experiment.path);
});
