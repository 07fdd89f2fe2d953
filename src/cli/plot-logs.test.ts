import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { defaultRunNames, extractCurve, plotLogs, readScalarLog, registerPlotLogs } from './plot-logs.js';

/** A run's scalars.json as MMEngine's LocalVisBackend writes it: train lines every 10 iters, val lines every 20. */
function writeRun(root: string, name: string, lossAt: (it: number) => number, extra = ''): string {
  const dir = join(root, name, '20240101_000000', 'vis_data');
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  for (let it = 10; it <= 40; it += 10) {
    lines.push(`{"lr": ${6e-5 * (1 - it / 50)}, "data_time": 0.01, "loss": ${lossAt(it)}, "time": 0.2, "iter": ${it}, "memory": 100, "step": ${it}}`);
    if (it % 20 === 0) lines.push(`{"aAcc": 90.0, "mIoU": ${30 + it / 2}, "mAcc": 40.5, "data_time": 0.01, "time": 0.1, "step": ${it}}`);
  }
  const file = join(dir, 'scalars.json');
  writeFileSync(file, lines.join('\n') + '\n' + extra);
  return file;
}

const quiet = (out: string[] = []) => (line: string) => out.push(line);

test('reads MMEngine scalars.json lines, including Python\'s NaN and Infinity', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-plot-'));
  const file = join(dir, 's.json');
  writeFileSync(file, '{"loss": 1.5, "step": 1}\n\n{"loss": NaN, "name": "NaN inside", "step": 2}\n{"loss": -Infinity, "step": 3}\n');
  const log = readScalarLog(file);
  assert.deepEqual(log.records.map((r) => r.line), [1, 3, 4]);
  assert.equal(log.records[1]!.values.name, 'NaN inside');
  const curve = extractCurve(log, 'loss')!;
  assert.deepEqual(curve.steps, [1, 2, 3]);
  assert.deepEqual(curve.values, [1.5, NaN, -Infinity]);
  assert.equal(curve.xLabel, 'step');
  assert.equal(extractCurve(log, 'mIoU'), null);
});

test('malformed lines are errors naming the file and line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-plot-'));
  const cases: [string, RegExp][] = [
    ['{"loss": 1, "step": 1}\n{"loss": 1, "step"\n', /bad\.json:2: not a JSON line/],
    ['{"loss": 1, "step": 1}\n[1, 2]\n', /bad\.json:2: expected a JSON object such as \{"loss": 0\.5, "step": 10\}, got a list/],
    ['{"loss": 1}\n', /bad\.json:1: expected a numeric "step", got none/],
    ['{"loss": 1, "step": "5"}\n', /bad\.json:1: expected a numeric "step", got "5"/],
    ['\n\n', /bad\.json: no scalar records/],
  ];
  for (const [text, error] of cases) {
    writeFileSync(join(dir, 'bad.json'), text);
    assert.throws(() => readScalarLog(join(dir, 'bad.json')), error);
  }
  assert.throws(() => readScalarLog(join(dir, 'missing.json')), /missing\.json: cannot read the log \(ENOENT\)/);
  writeFileSync(join(dir, 'bad.json'), '{"loss": 1, "step": 1}\n{"loss": "high", "step": 2}\n');
  assert.throws(() => extractCurve(readScalarLog(join(dir, 'bad.json')), 'loss'), /bad\.json:2: "loss" should be a number, got "high"/);
});

test('two runs: one panel per key, one line per run, with values against iter', async () => {
  const root = mkdtempSync(join(tmpdir(), 'segkit-plot-'));
  const a = writeRun(root, 'run_a', (it) => 2 - it / 40);
  const b = writeRun(root, 'run_b', (it) => 3 - it / 20);
  const out: string[] = [];
  const saved = await plotLogs([a, b], { keys: 'loss,mIoU', out: join(root, 'curves.svg'), title: 'two runs' }, quiet(out));
  assert.deepEqual(saved, { file: join(root, 'curves.svg'), format: 'svg', width: 900, height: 600 });
  const svg = readFileSync(saved.file, 'utf8');
  assert.equal((svg.match(/<g class="panel"/g) ?? []).length, 2);
  assert.match(svg, /class="panel-title">loss</);
  assert.match(svg, /class="panel-title">mIoU</);
  assert.match(svg, /class="figure-title">two runs</);
  // Legend names are the parts of the paths that differ.
  assert.equal((svg.match(/data-series="run_a"/g) ?? []).length, 2);
  assert.equal((svg.match(/data-series="run_b"/g) ?? []).length, 2);
  assert.match(svg, /class="axis-label">iter</);
  assert.match(svg, /class="axis-label">step</);
  // Four loss points per run, two mIoU points (with dots).
  const lossA = svg.split('data-series="run_a"')[1]!.split('</g>')[0]!;
  assert.equal(/d="([^"]+)"/.exec(lossA)![1]!.match(/[ML]/g)!.length, 4);
  assert.deepEqual(out.slice(0, 4), [
    '  run_a  loss: 4 points, iter 10..40, last 1, min 1 at 40, max 1.75 at 10',
    '  run_b  loss: 4 points, iter 10..40, last 1, min 1 at 40, max 2.5 at 10',
    '  run_a  mIoU: 2 points, step 20..40, last 50, min 40 at 20, max 50 at 40',
    '  run_b  mIoU: 2 points, step 20..40, last 50, min 40 at 20, max 50 at 40',
  ]);
  assert.match(out[4]!, /saved .*curves\.svg \(900x600 SVG: loss, mIoU\)/);
});

test('PNG of the requested size; --legend names the runs; default keys are loss, lr and mIoU', async () => {
  const root = mkdtempSync(join(tmpdir(), 'segkit-plot-'));
  const a = writeRun(root, 'a', (it) => 1 / it);
  const out: string[] = [];
  const saved = await plotLogs([a], { out: join(root, 'c.png'), legend: 'baseline', width: '700', height: '500' }, quiet(out));
  const png = readFileSync(saved.file);
  assert.equal(png.toString('latin1', 1, 4), 'PNG');
  assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [700, 500]);
  assert.match(out.at(-1)!, /700x500 PNG: loss, lr, mIoU/);
  assert.match(out[0]!, /^ {2}baseline {2}loss: 4 points/);
  const svgFile = join(root, 'c.svg');
  await plotLogs([a], { out: svgFile, legend: 'baseline', keys: 'lr' }, quiet());
  assert.match(readFileSync(svgFile, 'utf8'), /data-series="baseline"/);
});

test('keys found in no file are errors listing the keys there are', async () => {
  const root = mkdtempSync(join(tmpdir(), 'segkit-plot-'));
  const a = writeRun(root, 'a', () => 1);
  const out = join(root, 'c.svg');
  await assert.rejects(plotLogs([a], { keys: 'loss,miou', out }, quiet()),
    /--keys: 'miou' is in none of the logs \(did you mean 'mIoU'\?\); keys found: lr, data_time, loss, time, iter, memory, aAcc, mIoU, mAcc/);
  await assert.rejects(plotLogs([a], { keys: ',', out }, quiet()), /--keys: expected comma-separated key names, got ','/);
  await assert.rejects(plotLogs([a, a], { legend: 'x', out }, quiet()), /--legend: expected 2 names \(one per log file\), got 1: x/);
  await assert.rejects(plotLogs([a], { out: join(root, 'c.gif') }, quiet()), /c\.gif: expected an output file ending in \.png or \.svg/);
  await assert.rejects(plotLogs([a], { out, width: 'wide' }, quiet()), /--width: expected a whole number of pixels/);
  const onlyAcc = join(root, 'acc.json');
  writeFileSync(onlyAcc, '{"acc": 1, "step": 1}\n');
  await assert.rejects(plotLogs([onlyAcc], { out }, quiet()), /none of loss, lr, mIoU is in the logs; choose with --keys from: acc/);
});

test('a key that one run lacks is noted and drawn for the others', async () => {
  const root = mkdtempSync(join(tmpdir(), 'segkit-plot-'));
  const a = writeRun(root, 'a', () => 1);
  const trainOnly = join(root, 'train.json');
  writeFileSync(trainOnly, '{"loss": 1, "iter": 5, "step": 5}\n');
  const out: string[] = [];
  await plotLogs([a, trainOnly], { keys: 'mIoU', out: join(root, 'c.svg') }, quiet(out));
  assert.ok(out.includes(`note: ${trainOnly} has no 'mIoU'`), out.join('\n'));
  const svg = readFileSync(join(root, 'c.svg'), 'utf8');
  assert.equal((svg.match(/<g class="series"/g) ?? []).length, 1);
});

test('default run names drop the path parts all files share', () => {
  const names = defaultRunNames(['/w/work_dirs/fcn/20240101_000000/vis_data/scalars.json', '/w/work_dirs/deeplab/20240202_000000/vis_data/scalars.json']);
  assert.deepEqual(names, ['fcn/20240101_000000', 'deeplab/20240202_000000']);
  assert.deepEqual(defaultRunNames(['/x/a.json', '/x/a.json']), ['1: /x/a.json', '2: /x/a.json']);
});

test('registered command maps its options (commander) onto plotLogs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'segkit-plot-'));
  const a = writeRun(root, 'a', () => 1);
  const b = writeRun(root, 'b', () => 2);
  const program = new Command('segkit').exitOverride();
  registerPlotLogs(program);
  const logged: string[] = [];
  const original = console.log;
  console.log = (line: string) => logged.push(line);
  try {
    await program.parseAsync(['node', 'segkit', 'plot-logs', a, b, '--keys', 'lr', '--legend', 'x,y', '--out', join(root, 'o.svg'), '--log-y', '--width', '640', '--title', 'T']);
  } finally {
    console.log = original;
  }
  const svg = readFileSync(join(root, 'o.svg'), 'utf8');
  assert.match(svg, /^<svg [^>]*width="640" height="320"/);
  assert.match(svg, /data-series="x"/);
  assert.match(svg, /data-series="y"/);
  assert.match(svg, /class="figure-title">T</);
  assert.match(svg, /class="tick">1e-5</, 'log axis ticks');
  assert.match(logged.at(-1)!, /saved .*o\.svg \(640x320 SVG: lr\)/);
});

test('metrics logged all at one step get a note about log_metric_by_epoch', async () => {
  const root = mkdtempSync(join(tmpdir(), 'segkit-plot-'));
  const file = join(root, 's.json');
  writeFileSync(file, '{"mIoU": 10, "step": 0}\n{"mIoU": 20, "step": 0}\n');
  const out: string[] = [];
  await plotLogs([file], { out: join(root, 'c.svg') }, quiet(out));
  assert.ok(out.includes(`note: all 2 'mIoU' values of ${file} are at step 0; an iter-based run logs validation at its epoch (0) unless LoggerHook has log_metric_by_epoch: false`), out.join('\n'));
});
