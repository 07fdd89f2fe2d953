import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Runner } from '../runner/runner.js';
import { HOOKS } from '../registry/index.js';
import { ProgressBarHook, type InterceptableStream } from './progress-bar-hook.js';
import { ConfigError } from '../config/errors.js';

/** Everything written, in order, tagged by stream; plain-text view with escape codes removed. */
class Transcript {
  readonly chunks: { tag: string; text: string }[] = [];
  stream(tag: string, isTTY: boolean): { write(text: string): boolean; isTTY: boolean; columns: number } {
    const chunks = this.chunks;
    return { isTTY, columns: 120, write(text: string): boolean { chunks.push({ tag, text }); return true; } };
  }
  text(tag: string): string {
    return this.chunks.filter((c) => c.tag === tag).map((c) => c.text).join('');
  }
}

/** The last full redraw of the bar on `text` (a redraw starts after a carriage return or line clear). */
function visibleLines(raw: string): string[] {
  const lines: string[] = [];
  let current = '';
  for (const part of raw.split(/(\r|\n|\x1b\[[0-9;]*[A-Za-z]|\x1b[78])/)) {
    if (part === '\n') { lines.push(current); current = ''; } else if (part === '\r' || /^\x1b\[[0-2]?G$/.test(part) || part === '\x1b[2K') current = '';
    else if (!part.startsWith('\x1b')) current += part;
  }
  if (current) lines.push(current);
  return lines;
}

function fakeRunner(valLength: number, testLength = valLength): Runner {
  return { valDataloader: { length: valLength }, testDataloader: { length: testLength } } as unknown as Runner;
}

async function runEval(hook: ProgressBarHook, runner: Runner, mode: 'val' | 'test', iters: number, each?: (i: number) => void): Promise<void> {
  if (mode === 'val') hook.beforeValEpoch(runner); else hook.beforeTestEpoch(runner);
  for (let i = 0; i < iters; i++) {
    each?.(i);
    if (mode === 'val') hook.afterValIter(runner, i, {}, []); else hook.afterTestIter(runner, i, {}, []);
    await new Promise((r) => setImmediate(r));
  }
  if (mode === 'val') hook.afterValEpoch(runner, {}); else hook.afterTestEpoch(runner, {});
}

test('without a terminal, prints plain [val] n/total lines every interval and at the end', async () => {
  const t = new Transcript();
  const hook = new ProgressBarHook({ interval: 2 }, { stream: t.stream('err', false), interceptStreams: [] });
  assert.equal(hook.drawsBar, false);
  await runEval(hook, fakeRunner(5), 'val', 5);
  assert.equal(t.text('err'), '[val] 2/5\n[val] 4/5\n[val] 5/5\n');
});

test('plain lines default to about ten per loop and name the test loop', async () => {
  const t = new Transcript();
  const hook = new ProgressBarHook({}, { stream: t.stream('err', false), interceptStreams: [] });
  await runEval(hook, fakeRunner(50, 25), 'test', 25);
  assert.equal(t.text('err'), '[test] 3/25\n[test] 6/25\n[test] 9/25\n[test] 12/25\n[test] 15/25\n[test] 18/25\n[test] 21/25\n[test] 24/25\n[test] 25/25\n');
});

test('a loop stopped early still prints where it stopped', async () => {
  const t = new Transcript();
  const hook = new ProgressBarHook({ interval: 10 }, { stream: t.stream('err', false), interceptStreams: [] });
  await runEval(hook, fakeRunner(50), 'val', 13);
  assert.equal(t.text('err'), '[val] 10/50\n[val] 13/50\n');
});

test('an unknown loader length prints counts without a total', async () => {
  const t = new Transcript();
  const hook = new ProgressBarHook({ interval: 3, tty: true }, { stream: t.stream('err', true), interceptStreams: [] });
  await runEval(hook, fakeRunner(Infinity), 'val', 4);
  assert.equal(t.text('err'), '[val] 3\n[val] 4\n');
});

test('training iterations write nothing', async () => {
  const t = new Transcript();
  const hook = new ProgressBarHook({ interval: 1 }, { stream: t.stream('err', false), interceptStreams: [] });
  const runner = fakeRunner(5);
  hook.beforeTrainEpoch(runner);
  for (let i = 0; i < 5; i++) {
    hook.beforeTrainIter(runner, i, {});
    hook.afterTrainIter(runner, i, {}, { loss: 1 });
  }
  hook.afterTrainEpoch(runner);
  assert.deepEqual(t.chunks, []);
  // The hook points it uses are the val/test ones (plus cleanup), none of the train grid.
  assert.deepEqual(hook.triggeredStages(), ['beforeValEpoch', 'afterValIter', 'afterValEpoch', 'beforeTestEpoch', 'afterTestIter', 'afterTestEpoch', 'onException', 'afterRun']);
});

test('on a terminal, draws a bar that ends at total and leaves one finished line', async () => {
  const t = new Transcript();
  const hook = new ProgressBarHook({ bar_size: 10 }, { stream: t.stream('err', true), interceptStreams: [] });
  assert.equal(hook.drawsBar, true);
  await runEval(hook, fakeRunner(4), 'val', 4);
  const raw = t.text('err');
  assert.ok(!raw.includes('[val]'), 'no plain lines in bar mode');
  assert.ok(raw.includes('\x1b['), 'uses terminal control sequences');
  const lines = visibleLines(raw);
  assert.equal(lines.length, 1, `one line on screen: ${JSON.stringify(lines)}`);
  assert.match(lines[0]!, /^val \[>{10}\] 4\/4, [\d.]+ task\/s, elapsed: \d+s, ETA: 0s$/);
  assert.ok(raw.endsWith('\n'), 'the finished bar ends its line');
});

test('without bar_size, the bar fits the line to the terminal width', async () => {
  for (const [columns, expected] of [[80, 22], [200, 40], [30, 10]] as const) {
    const t = new Transcript();
    const stream = { ...t.stream('err', true), columns };
    await runEval(new ProgressBarHook({}, { stream, interceptStreams: [] }), fakeRunner(100), 'val', 100);
    const line = visibleLines(t.text('err'))[0]!;
    assert.equal(/\[(>*)\]/.exec(line)?.[1]?.length, expected, `${columns} columns: ${line}`);
    if (columns >= 80) assert.ok(line.length <= columns, `${line.length} > ${columns}`);
  }
});

test('tty: true forces a bar on a pipe; tty: false forces plain lines on a terminal', async () => {
  const pipe = new Transcript();
  await runEval(new ProgressBarHook({ tty: true, bar_size: 4 }, { stream: pipe.stream('err', false), interceptStreams: [] }), fakeRunner(2), 'test', 2);
  assert.match(visibleLines(pipe.text('err'))[0]!, /^test \[>{4}\] 2\/2,/);
  const term = new Transcript();
  await runEval(new ProgressBarHook({ tty: false, interval: 1 }, { stream: term.stream('err', true), interceptStreams: [] }), fakeRunner(2), 'test', 2);
  assert.equal(term.text('err'), '[test] 1/2\n[test] 2/2\n');
});

test('log lines written during a bar clear its line first and the bar is redrawn below them', async () => {
  const t = new Transcript();
  const out = t.stream('out', true);
  const originalWrite = out.write;
  const hook = new ProgressBarHook({ bar_size: 10 }, { stream: t.stream('err', true), interceptStreams: [out as unknown as InterceptableStream] });
  await runEval(hook, fakeRunner(4), 'val', 4, (i) => {
    if (i === 2) out.write('Iter(val) [2/4]\n');
  });
  assert.equal(out.write, originalWrite, 'the stream write is restored after the loop');
  const at = t.chunks.findIndex((c) => c.tag === 'out');
  assert.ok(at > 0);
  const before = t.chunks.slice(0, at).filter((c) => c.tag === 'err').map((c) => c.text).join('');
  assert.ok(before.endsWith('\r\x1b[2K'), `the bar line is cleared right before the log line: ${JSON.stringify(before.slice(-20))}`);
  const after = visibleLines(t.chunks.slice(at + 1).map((c) => c.text).join(''));
  assert.match(after.at(-1)!, /^val \[>{10}\] 4\/4,/, 'the bar is redrawn after the log line and finishes');
  // Once the bar has stopped, writes go straight through.
  const count = t.chunks.length;
  out.write('after\n');
  assert.deepEqual(t.chunks.slice(count), [{ tag: 'out', text: 'after\n' }]);
});

test('an exception mid-loop stops the bar and restores intercepted writes', async () => {
  const t = new Transcript();
  const out = t.stream('out', true);
  const originalWrite = out.write;
  const hook = new ProgressBarHook({}, { stream: t.stream('err', true), interceptStreams: [out as unknown as InterceptableStream] });
  const runner = fakeRunner(10);
  hook.beforeValEpoch(runner);
  hook.afterValIter(runner, 0, {}, []);
  assert.notEqual(out.write, originalWrite);
  hook.onException(runner, new Error('boom'));
  assert.equal(out.write, originalWrite);
  assert.ok(t.text('err').endsWith('\n'));
  // The test would hang here if the bar's redraw timer were still running.
});

test('is registered as ProgressBarHook with priority BELOW_NORMAL and validates its options', () => {
  const hook = HOOKS.build<ProgressBarHook>({ type: 'ProgressBarHook', interval: 5 }, { keyPath: ['custom_hooks', 0] });
  assert.ok(hook instanceof ProgressBarHook);
  assert.equal(hook.interval, 5);
  assert.equal(ProgressBarHook.priority, 'BELOW_NORMAL');
  assert.throws(() => new ProgressBarHook({ interval: 0 }), (e: unknown) => e instanceof ConfigError && /interval/.test(String(e)));
  assert.throws(() => new ProgressBarHook({ intervals: 5 }), (e: unknown) => e instanceof ConfigError && /intervals/.test(String(e)));
});
