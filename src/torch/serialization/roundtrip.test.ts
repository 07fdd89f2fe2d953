// The pickle and zip writer/reader agree with each other: plain Python values, every dtype, views.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../index.js';
import { native } from '../native.js';
import {
  OrderedDict, PyTuple, tuple, pickle, unpickle, torchSaveBuffer, loadTorchBuffer, readZip, zipChunks,
} from './index.js';

const hooks = { findClass: () => { throw new Error('no globals'); }, persistentLoad: () => { throw new Error('no pids'); } };

test('pickle round trip: ints (also past 2^53, negative), floats, strings, bytes, None, bools, lists, tuples, dicts', () => {
  const value = new Map<unknown, unknown>([
    ['small', 7], ['neg', -300], ['i32', -2_000_000_000], ['mid', 70000], ['safe', 2 ** 40],
    ['big', 2n ** 70n], ['negbig', -(2n ** 63n)], ['f', 1.5], ['nan', NaN], ['inf', -Infinity],
    ['text', 'héllo ✓'], ['bytes', Uint8Array.of(0, 1, 255)], ['none', null], ['yes', true], ['no', false],
    ['list', [1, [2, 'x']]], ['tuple', tuple<unknown>(1, 'a', tuple())], [3, 'int key'], [tuple<unknown>(1, 2), 'tuple key'],
  ]);
  const back = unpickle(pickle(value), hooks).value as Map<unknown, unknown>;
  const get = (k: string): unknown => back.get(k);
  assert.equal(get('small'), 7);
  assert.equal(get('neg'), -300);
  assert.equal(get('i32'), -2_000_000_000);
  assert.equal(get('mid'), 70000);
  assert.equal(get('safe'), 2 ** 40);
  assert.equal(get('big'), 2n ** 70n);
  assert.equal(get('negbig'), -(2n ** 63n));
  assert.equal(get('f'), 1.5);
  assert.ok(Number.isNaN(get('nan')));
  assert.equal(get('inf'), -Infinity);
  assert.equal(get('text'), 'héllo ✓');
  assert.deepEqual([...(get('bytes') as Uint8Array)], [0, 1, 255]);
  assert.equal(get('none'), null);
  assert.equal(get('yes'), true);
  assert.equal(get('no'), false);
  assert.deepEqual(get('list'), [1, [2, 'x']]);
  assert.ok(get('tuple') instanceof PyTuple);
  assert.deepEqual([...(get('tuple') as unknown[])].slice(0, 2), [1, 'a']);
  assert.equal(back.get(3), 'int key');
  const tupleKey = [...back.keys()].find((k) => k instanceof PyTuple);
  assert.deepEqual([...(tupleKey as unknown[])], [1, 2]);
});

test('pickler refuses class instances and cycles, naming the path', () => {
  assert.throws(() => pickle({ a: { when: new Date() } }), /a\.when: a Date has no pickle form/);
  const loop: Record<string, unknown> = {};
  loop.self = loop;
  assert.throws(() => pickle(loop), /cycle/);
});

test('zip writer aligns entry data to 64 bytes and the reader gets every entry back', () => {
  const entries = [{ name: 'a/x', data: Uint8Array.of(1, 2, 3) }, { name: 'a/yy', data: new Uint8Array(100).fill(7) }];
  const chunks = zipChunks(entries, 'mem');
  let at = 0;
  const starts: number[] = [];
  chunks.forEach((c, i) => {
    if (i === 1 || i === 3) starts.push(at);
    at += c.length;
  });
  assert.ok(starts.every((s) => s % 64 === 0), `data starts ${starts.join(', ')}`);
  const buf = new Uint8Array(at);
  let p = 0;
  for (const c of chunks) { buf.set(c, p); p += c.length; }
  const back = readZip(buf, 'mem');
  assert.deepEqual([...back.get('a/x')!], [1, 2, 3]);
  assert.equal(back.get('a/yy')!.length, 100);
  assert.throws(() => readZip(buf.subarray(0, buf.length - 30), 'cut.pth'), /cut\.pth: corrupt zip archive/);
});

test('torch archive round trip keeps every dtype, OrderedDict order, views with offsets/strides and shared storage', () => {
  const base = torch.arange(20, undefined, 1, { dtype: 'float32' }).reshape(4, 5);
  const sd = new OrderedDict<string, torch.Tensor>([
    ['z.base', base], ['a.t', base.t()], ['m.slice', base.select(0, 2)], ['col', base.select(1, 3)],
  ]);
  const dtypes = ['float32', 'float64', 'float16', 'bfloat16', 'int8', 'int16', 'int32', 'int64', 'uint8', 'bool'] as const;
  const typed: Record<string, torch.Tensor> = {};
  for (const d of dtypes) typed[d] = torch.tensor([0, 1, 2, 3, 4, 5], { dtype: d }).reshape(2, 3);
  const back = loadTorchBuffer(torchSaveBuffer({ state_dict: sd, typed, meta: { n: 3, name: 'x' }, empty: torch.zeros([0, 3]), scalar: torch.tensor(2.5) }), 'mem') as {
    state_dict: OrderedDict<string, torch.Tensor>; typed: Record<string, torch.Tensor>; meta: { n: number; name: string }; empty: torch.Tensor; scalar: torch.Tensor;
  };
  assert.ok(back.state_dict instanceof OrderedDict);
  assert.deepEqual([...back.state_dict.keys()], ['z.base', 'a.t', 'm.slice', 'col']);
  for (const [k, t] of sd) {
    const got = back.state_dict.get(k)!;
    assert.deepEqual(got.shape, t.shape, k);
    assert.deepEqual(got.toArray(), t.toArray(), k);
    assert.deepEqual(native.strides(got.handle), native.strides(t.handle), `${k} strides`);
  }
  // Views come back as views of one storage: the same byte distance as in the source.
  const ptr = (k: string): number => native.dataPtr(back.state_dict.get(k)!.handle);
  assert.equal(ptr('col') - ptr('z.base'), 3 * 4);
  assert.equal(ptr('m.slice') - ptr('z.base'), 10 * 4);
  back.state_dict.get('z.base')!.mul_(2);
  assert.deepEqual(back.state_dict.get('col')!.toArray(), [6, 16, 26, 36]);
  for (const d of dtypes) {
    assert.equal(back.typed[d]!.dtype, d);
    assert.deepEqual(back.typed[d]!.toArray(), typed[d]!.toArray(), d);
  }
  assert.deepEqual(back.meta, { n: 3, name: 'x' });
  assert.deepEqual(back.empty.shape, [0, 3]);
  assert.deepEqual(back.scalar.shape, []);
  assert.equal(back.scalar.item(), 2.5);
});

test('garbage is refused as not a PyTorch checkpoint, naming the input', () => {
  assert.throws(() => loadTorchBuffer(new TextEncoder().encode('hello there'), 'junk.pth'), /junk\.pth: not a PyTorch checkpoint/);
});
