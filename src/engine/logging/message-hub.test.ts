import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HistoryBuffer } from './history-buffer.js';
import { MessageHub } from './message-hub.js';
import { MMLogger } from './logger.js';

// Warnings from the hub go to the current logger; keep them out of the test output and visible to asserts.
function captureLogger(): string[] {
  MMLogger.clearInstances();
  const lines: string[] = [];
  MMLogger.getInstance('message-hub-test', { stream: { write: (s: string) => void lines.push(s) }, color: false });
  return lines;
}

test('updateScalar makes a buffer on first use and appends after', () => {
  const hub = new MessageHub('scalars');
  hub.updateScalar('train/loss', 3);
  hub.updateScalar('train/loss', 1, 1);
  hub.updateScalar('train/acc', { item: () => 0.5, numel: 1 });
  assert.deepEqual(hub.getScalar('train/loss').data, [[3, 1], [1, 1]]);
  assert.equal(hub.getScalar('train/loss').mean(), 2);
  assert.equal(hub.getScalar('train/acc').current(), 0.5);
  assert.deepEqual([...hub.logScalars.keys()], ['train/loss', 'train/acc']);
  assert.throws(() => hub.getScalar('nope'), /no scalar 'nope'/);
  assert.throws(() => hub.updateScalar('x', { item: () => 1, numel: () => 4 }), /single value/);
  assert.throws(() => hub.updateScalar('x', 1, 1.5), /count of 'x' must be an integer/);
});

test('updateScalars takes plain values and {value, count}', () => {
  const hub = new MessageHub('scalars2');
  hub.updateScalars({ a: 1, b: { value: 6, count: 3 } });
  hub.updateScalars({ b: { value: 2 } });
  assert.equal(hub.getScalar('a').current(), 1);
  assert.deepEqual(hub.getScalar('b').data, [[6, 2], [3, 1]]);
  assert.equal(hub.getScalar('b').mean(), 2);
});

test('info is overwritten, read with a default, popped', () => {
  const hub = new MessageHub('info');
  hub.updateInfo('iter', 1);
  hub.updateInfo('iter', 2);
  assert.equal(hub.getInfo('iter'), 2);
  assert.equal(hub.getInfo('missing', 'dflt'), 'dflt');
  assert.equal(hub.popInfo('iter'), 2);
  assert.equal(hub.getInfo('iter'), undefined);
  assert.equal(hub.popInfo('iter', 7), 7);
});

test("a key's resumed flag cannot change", () => {
  const hub = new MessageHub('resumed');
  hub.updateScalar('loss', 1);
  assert.throws(() => hub.updateScalar('loss', 1, 1, false), /resumed=true, now resumed=false/);
  hub.updateInfo('eta', 5, false);
  assert.throws(() => hub.updateInfo('eta', 5), /cannot change/);
});

test('stateDict keeps only resumed keys and survives JSON; loadStateDict restores them', () => {
  const lines = captureLogger();
  const hub = new MessageHub('src');
  hub.updateScalar('train/loss', 2);
  hub.updateScalar('train/loss', 4);
  hub.updateScalar('train/time', 0.5, 1, false);
  hub.updateInfo('iter', 10);
  hub.updateInfo('dataset_meta', { classes: ['bg', 'fg'] });
  hub.updateInfo('eta', 99, false);
  const state = JSON.parse(JSON.stringify(hub.stateDict()));
  assert.deepEqual(state, {
    log_scalars: { 'train/loss': { log_history: [2, 4], count_history: [1, 1], max_length: 1_000_000 } },
    runtime_info: { iter: 10, dataset_meta: { classes: ['bg', 'fg'] } },
    resumed_keys: { 'train/loss': true, 'train/time': false, iter: true, dataset_meta: true, eta: false },
  });

  const dst = new MessageHub('dst');
  dst.loadStateDict(state);
  assert.equal(dst.getScalar('train/loss').mean(), 3);
  assert.equal(dst.getInfo('iter'), 10);
  assert.deepEqual(dst.getInfo('dataset_meta'), { classes: ['bg', 'fg'] });
  assert.equal(dst.logScalars.has('train/time'), false);
  assert.equal(dst.getInfo('eta'), undefined);
  // The non-resumed keys were not saved, so their flags are skipped with a warning.
  assert.equal(lines.filter((l) => /resumed key: (train\/time|eta) is not defined/.test(l)).length, 2);
  // The loaded copy is independent of the saved one.
  dst.updateScalar('train/loss', 9);
  assert.equal(hub.getScalar('train/loss').data[0].length, 2);
  MMLogger.clearInstances();
});

test('loadStateDict skips scalars that are not buffers and can copy a whole hub', () => {
  const lines = captureLogger();
  const dst = new MessageHub('dst2');
  dst.loadStateDict({ log_scalars: { bad: 3 as never }, runtime_info: {}, resumed_keys: {} });
  assert.equal(dst.logScalars.has('bad'), false);
  assert.ok(lines.some((l) => l.includes('bad in message_hub is not HistoryBuffer')));
  assert.throws(() => dst.loadStateDict({ log_scalars: {} } as never), /must have an object 'runtime_info'/);

  const src = new MessageHub('src2', { logScalars: { x: new HistoryBuffer([1, 2], [1, 1]) }, runtimeInfo: { y: 1 }, resumedKeys: { x: false } });
  dst.loadStateDict(src);
  assert.deepEqual(dst.getScalar('x').data, [[1, 2], [1, 1]]);
  assert.equal(dst.resumedKeys.get('x'), false);
  assert.notEqual(dst.getScalar('x'), src.getScalar('x'));
  MMLogger.clearInstances();
});

test('getInstance shares by name; getCurrentInstance is the latest; plain objects stay private', () => {
  MessageHub.clearInstances();
  const first = MessageHub.getCurrentInstance();
  assert.equal(first.instanceName, 'segkit');
  const a = MessageHub.getInstance('run-a');
  assert.equal(MessageHub.getInstance('run-a'), a);
  assert.equal(MessageHub.getCurrentInstance(), a);
  const plain = new MessageHub('plain');
  assert.equal(MessageHub.checkInstanceCreated('plain'), false);
  assert.notEqual(MessageHub.getCurrentInstance(), plain);
  MessageHub.clearInstances();
  assert.equal(MessageHub.checkInstanceCreated('run-a'), false);
});
