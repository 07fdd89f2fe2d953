import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MMLogger, buildRunLogger, printLog, runTimestamp } from './logger.js';

const sink = () => {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => void lines.push(s) } };
};
const TERMINAL = /^\d\d\/\d\d \d\d:\d\d:\d\d - segkit - /;
const FILE = /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d - segkit - /;

test("terminal lines: '%m/%d %H:%M:%S - segkit - LEVEL - message', filtered by log_level", () => {
  const { lines, stream } = sink();
  const logger = new MMLogger('t1', { stream, color: false, logLevel: 'WARNING' });
  logger.info('hidden');
  logger.warning('careful');
  logger.error('broken');
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, TERMINAL);
  assert.equal(lines[0]!.replace(TERMINAL, ''), 'WARNING - careful\n');
  // ERROR lines carry the caller's file, function and line, as MMEngine's format does.
  assert.match(lines[1]!.replace(TERMINAL, ''), /^ERROR - .*logger\.test\.js - .* - \d+ - broken\n$/);
});

test('the date is local time', () => {
  const { lines, stream } = sink();
  const before = new Date();
  new MMLogger('t-date', { stream, color: false }).info('x');
  const pad = (n: number) => String(n).padStart(2, '0');
  assert.ok(lines[0]!.startsWith(`${pad(before.getMonth() + 1)}/${pad(before.getDate())} ${pad(before.getHours())}:`));
});

test('each warning message is shown once; DEBUG shows only at log_level DEBUG', () => {
  const { lines, stream } = sink();
  const logger = new MMLogger('t2', { stream, color: false, logLevel: 'DEBUG' });
  logger.warning('same');
  logger.warning('same');
  logger.debug('details');
  assert.deepEqual(lines.map((l) => l.replace(TERMINAL, '')), ['WARNING - same\n', 'DEBUG - details\n']);
  assert.throws(() => new MMLogger('t3', { logLevel: 'LOUD' as never }), /log_level: expected 'DEBUG' \| 'INFO' \| 'WARNING' \| 'ERROR'/);
});

test('colour wraps the level in termcolor codes', () => {
  const { lines, stream } = sink();
  new MMLogger('t4', { stream, color: true }).info('hi');
  assert.equal(lines[0]!.replace(TERMINAL, ''), '\x1b[4m\x1b[97mINFO\x1b[0m - hi\n');
});

test('buildRunLogger writes <log_dir>/<timestamp>.log with the year, appending', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-logger-'));
  const logDir = join(dir, '20261127_050000');
  const { lines, stream } = sink();
  const logger = buildRunLogger({ name: 'exp1', logDir, timestamp: '20261127_050000', logLevel: 'INFO', stream });
  logger.info('Iter(train) [ 50/100]  loss: 1.0000');
  logger.debug('not written');
  printLog('through printLog', 'exp1', 'WARNING');
  printLog('through current', 'current');
  const file = join(logDir, '20261127_050000.log');
  assert.equal(logger.logFile, file);
  const text = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.deepEqual(text.map((l) => l.replace(FILE, '')), [
    'INFO - Iter(train) [ 50/100]  loss: 1.0000', 'WARNING - through printLog', 'INFO - through current',
  ]);
  assert.ok(text.every((l) => FILE.test(l)));
  assert.equal(lines.length, 3);
  MMLogger.clearInstances();
  // Appends, as the Runner's logger does.
  const again = buildRunLogger({ name: 'exp1', logDir, timestamp: '20261127_050000', stream });
  again.info('second run');
  assert.equal(readFileSync(file, 'utf8').split('\n').filter(Boolean).length, 4);
  MMLogger.clearInstances();
});

test('ranks > 0 print only errors and write no file unless distributed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-logger-rank-'));
  const { lines, stream } = sink();
  const r1 = new MMLogger('r1', { stream, color: false, rank: 1, worldSize: 2, logFile: join(dir, 'a.log') });
  r1.info('quiet');
  r1.error('loud');
  assert.equal(lines.length, 1);
  assert.equal(existsSync(join(dir, 'a.log')), false);
  r1.close();
  const r2 = new MMLogger('r2', { stream, color: false, rank: 1, worldSize: 2, distributed: true, logFile: join(dir, 'b.log') });
  r2.info('mine');
  assert.match(r2.logFile!, /b(_.+)?_device\d+_rank1\.log$/);
  assert.match(readFileSync(r2.logFile!, 'utf8'), /INFO - mine\n$/);
  r2.close();
});

test('printLog: silent drops, an unknown name is an error, getCurrentInstance defaults to segkit', () => {
  MMLogger.clearInstances();
  printLog('nothing', 'silent');
  assert.throws(() => printLog('x', 'nobody'), /no MMLogger named 'nobody'/);
  assert.equal(MMLogger.getCurrentInstance().name, 'segkit');
  MMLogger.clearInstances();
  assert.match(runTimestamp(new Date(2026, 10, 27, 5, 0, 9)), /^20261127_050009$/);
});
