import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REFERENCE_2D } from '../engine/optim/scheduler/mmengine-vectors.fixture.js';
import { Command } from 'commander';
import { curveIters, lrSchedule, planSchedule, registerLrSchedule, type LrScheduleOptions } from './lr-schedule.js';

/** The repo root (where package.json is), from either src/ or dist/src/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}
const SHARED = join(repoRoot(), '..', 'shared', 'reference', '2d_lr_schedule.json');
// The numbers from the real MMEngine; the engine's own test checks the embedded copy against the shared file.
const reference = (existsSync(SHARED) ? JSON.parse(readFileSync(SHARED, 'utf8')) : REFERENCE_2D) as typeof REFERENCE_2D;

/** MMSeg's schedule_160k with SegFormer's AdamW: no model, only what lr-schedule reads. */
const MMSEG_160K = {
  train_cfg: { type: 'IterBasedTrainLoop', max_iters: 160000, val_interval: 16000 },
  optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'AdamW', lr: 6e-5, betas: [0.9, 0.999], weight_decay: 0.01 } },
  param_scheduler: [
    { type: 'LinearLR', start_factor: 1e-6, by_epoch: false, begin: 0, end: 1500 },
    { type: 'PolyLR', power: 1.0, eta_min: 0.0, begin: 1500, end: 160000, by_epoch: false },
  ],
};

function writeConfig(cfg: Record<string, unknown>, name = 'cfg.json'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'segkit-lr-')), name);
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

async function runLr(file: string, opts: LrScheduleOptions) {
  const out: string[] = [];
  const err: string[] = [];
  const result = await lrSchedule(file, opts, (l) => out.push(l), (l) => err.push(l));
  return { result, out, err };
}

test("--json reproduces MMEngine's numbers for MMSeg's warm-up + poly 160k schedule", async () => {
  const lrAt = { ...reference.lr_at, ...reference.lr_at_extra } as Record<string, number>;
  const iters = Object.keys(lrAt).map(Number).sort((a, b) => a - b);
  const { out, result } = await runLr(writeConfig(MMSEG_160K), { json: true, iters: iters.join(',') });
  const printed = JSON.parse(out.join('\n')) as Record<string, number[]>;
  assert.deepEqual(Object.keys(printed).map(Number), iters);
  for (const it of iters) assert.deepEqual(printed[String(it)], [lrAt[String(it)]], `iteration ${it}`);
  assert.deepEqual(result.lr[0], iters.map((it) => lrAt[String(it)]));
  // Written as Python's json writes floats.
  assert.match(out.join('\n'), /"1": \[4\.008664442961975e-08\]/);
});

test('the default table samples 0, 1, each phase\'s first and last iteration, the quarters and the end', async () => {
  const file = writeConfig(MMSEG_160K, 'segformer.json');
  const { out, result } = await runLr(file, {});
  assert.deepEqual(result.iters, [0, 1, 1499, 1500, 40000, 80000, 120000, 159999]);
  assert.equal(out[0], `lr schedule of ${file}: AdamW, base lr 6e-05, 160000 iterations (IterBasedTrainLoop)`);
  assert.equal(out[1], '  param_scheduler.0  LinearLR  iters 0..1499');
  assert.equal(out[2], '  param_scheduler.1  PolyLR    iters 1500..159999');
  assert.equal(out[4], '    iter  lr');
  assert.equal(out[5], '       0  6.000000e-11');
  assert.equal(out[6], '       1  4.008664e-08');
  assert.equal(out[10], '   80000  3.028372e-05');
  assert.equal(out.at(-1), '  159999  0.000000e+00');
});

test('--out draws the whole curve (PNG of the requested size, SVG with the lr series)', async () => {
  const file = writeConfig(MMSEG_160K);
  const png = join(dirname(file), 'lr.png');
  const { result, err } = await runLr(file, { out: png, width: '800', height: '300' });
  assert.deepEqual([result.chart!.width, result.chart!.height], [800, 300]);
  const buf = readFileSync(png);
  assert.equal(buf.toString('latin1', 1, 4), 'PNG');
  assert.deepEqual([buf.readUInt32BE(16), buf.readUInt32BE(20)], [800, 300]);
  assert.match(err.at(-1)!, /saved .*lr\.png \(800x300 PNG, \d+ points\)/);
  const svgFile = join(dirname(file), 'lr.svg');
  await runLr(file, { out: svgFile, title: 'warm-up + poly' });
  const svg = readFileSync(svgFile, 'utf8');
  assert.match(svg, /data-series="lr \(AdamW, base lr 6e-05\)"/);
  assert.match(svg, /class="figure-title">warm-up \+ poly</);
  assert.match(svg, /class="axis-label">lr</);
  const d = /<path d="([^"]+)"/.exec(svg)![1]!;
  assert.ok(d.split(/[ML]/).length > 1500, 'the curve has its ~2000 samples');
});

test('the curve is sampled evenly plus both sides of every phase boundary', () => {
  const plan = planSchedule(MMSEG_160K);
  const iters = curveIters(plan);
  for (const it of [0, 1499, 1500, 1501, 159999]) assert.ok(iters.includes(it), `iteration ${it}`);
  assert.ok(iters.length >= 2000 && iters.length <= 2010, `${iters.length}`);
  assert.ok(iters.every((it, k) => k === 0 || it > iters[k - 1]!) && iters.at(-1) === 159999);
});

test('registered commands map their options (commander) onto the action functions', async () => {
  const file = writeConfig(MMSEG_160K);
  const program = new Command('segkit').exitOverride();
  registerLrSchedule(program);
  const logged: string[] = [];
  const original = console.log;
  console.log = (line: string) => logged.push(line);
  try {
    await program.parseAsync(['node', 'segkit', 'lr-schedule', file, '--json', '--iters', '0,1499', '--cfg-options', 'optim_wrapper.optimizer.lr=0.001', '--cfg-options', 'train_cfg.max_iters=3000']);
  } finally {
    console.log = original;
  }
  const printed = JSON.parse(logged.join('\n')) as Record<string, number[]>;
  assert.deepEqual(Object.keys(printed), ['0', '1499']);
  assert.ok(Math.abs(printed['1499']![0]! - 0.001) < 1e-15, JSON.stringify(printed));
});

test('--cfg-options and auto_scale_lr change the base lr', async () => {
  const file = writeConfig({ ...MMSEG_160K, train_dataloader: { batch_size: 2 }, auto_scale_lr: { enable: true, base_batch_size: 16 } });
  const { result, err } = await runLr(file, { iters: '1499', cfgOptions: ['optim_wrapper.optimizer.lr=0.01'] });
  assert.ok(Math.abs(result.lr[0]![0]! - 0.01 / 8) < 1e-15, `${result.lr[0]}`);
  assert.ok(err.includes('note: auto_scale_lr: lr scaled by 0.125 (batch size 2, base_batch_size 16, one process)'), err.join('\n'));
});

test('an epoch-based loop needs --epoch-length; with it, epoch schedulers step every epoch', async () => {
  const file = writeConfig({
    train_cfg: { by_epoch: true, max_epochs: 12 },
    optim_wrapper: { optimizer: { type: 'SGD', lr: 0.02, momentum: 0.9 } },
    param_scheduler: [
      { type: 'LinearLR', start_factor: 0.001, by_epoch: false, begin: 0, end: 500 },
      { type: 'MultiStepLR', milestones: [8, 11], gamma: 0.1 },
      { type: 'CosineAnnealingMomentum', T_max: 12, eta_min: 0.8 },
    ],
  }, 'epochs.json');
  await assert.rejects(runLr(file, {}), /epochs\.json: train_cfg: the train loop is epoch-based \(max_epochs: 12\).*pass --epoch-length N/);
  await assert.rejects(runLr(file, { epochLength: '0' }), /--epoch-length: expected a positive integer \(iterations per epoch\), got '0'/);
  const { result, out } = await runLr(file, { epochLength: '100', iters: '0,499,799,800,1099,1100,1199' });
  assert.match(out[0]!, /SGD, base lr 0\.02, 1200 iterations \(EpochBasedTrainLoop, 100 per epoch\)/);
  assert.equal(out[2], '  param_scheduler.1  MultiStepLR              iters 0..1199');
  const lr = result.lr[0]!;
  assert.ok(Math.abs(lr[0]! - 2e-5) < 1e-18);
  // The warm-up ends at the base lr (up to float rounding) and holds it until the first milestone.
  assert.ok(Math.abs(lr[1]! - 0.02) < 1e-15 && lr[2] === lr[1], `${lr}`);
  assert.ok(Math.abs(lr[3]! - 0.002) < 1e-15 && lr[3] === lr[4], `${lr}`);
  assert.ok(Math.abs(lr[5]! - 0.0002) < 1e-16 && lr[5] === lr[6], `${lr}`);
});

test('an iter-based loop: convert_to_iter_based needs --epoch-length; unconverted epoch schedulers keep their first value', async () => {
  const converted = writeConfig({
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 100 },
    optim_wrapper: { optimizer: { type: 'SGD', lr: 0.1 } },
    param_scheduler: [{ type: 'LinearLR', start_factor: 0.5, begin: 0, end: 2, convert_to_iter_based: true }],
  }, 'convert.json');
  await assert.rejects(runLr(converted, {}), /convert\.json: param_scheduler\.0\.convert_to_iter_based: converting epochs to iterations needs the epoch length .*pass --epoch-length N/);
  const { result, out } = await runLr(converted, { epochLength: '10', iters: '0,10,19,20' });
  assert.equal(out[1], '  param_scheduler.0  LinearLR  iters 0..19');
  // 20 iterations of warm-up: factor 0.5 + 0.5 * i / 19 (MMEngine's end - begin - 1 divisor).
  assert.deepEqual(result.lr[0]!.map((v) => Number(v.toPrecision(12))), [0.05, Number((0.1 * (0.5 + (0.5 * 10) / 19)).toPrecision(12)), 0.1, 0.1]);

  const epochwise = writeConfig({
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 100 },
    optim_wrapper: { optimizer: { type: 'SGD', lr: 0.1 } },
    param_scheduler: { type: 'LinearLR', start_factor: 0.5, end: 2 },
  });
  const run = await runLr(epochwise, { json: true, iters: '0,50,99' });
  assert.deepEqual(JSON.parse(run.out.join('\n')), { 0: [0.05], 50: [0.05], 99: [0.05] });
  assert.match(run.err[0]!, /note: param_scheduler \(LinearLR\) is epoch-based \(by_epoch defaults to true\) in an iter-based loop: MMEngine steps it only after the last iteration/);
});

test('errors name the config file, the key path or the option', async () => {
  const noLr = writeConfig({ ...MMSEG_160K, optim_wrapper: { optimizer: { type: 'AdamW' } } }, 'nolr.json');
  await assert.rejects(runLr(noLr, {}), /nolr\.json: optim_wrapper\.optimizer\.lr: expected a number >= 0, got nothing/);
  const dict = writeConfig({ ...MMSEG_160K, optim_wrapper: { generator: { optimizer: { type: 'Adam', lr: 1 } }, discriminator: { optimizer: { type: 'Adam', lr: 1 } } } }, 'gan.json');
  await assert.rejects(runLr(dict, {}), /gan\.json: optim_wrapper\.optimizer: lr-schedule simulates one optimizer; this config has several/);
  const noLoop = writeConfig({ optim_wrapper: MMSEG_160K.optim_wrapper }, 'noloop.json');
  await assert.rejects(runLr(noLoop, {}), /noloop\.json: train_cfg: expected the train loop config with max_iters or max_epochs, got nothing/);
  const badSched = writeConfig({ ...MMSEG_160K, param_scheduler: [{ type: 'PolyLR', by_epoch: false, begin: 10, end: 5 }] }, 'sched.json');
  await assert.rejects(runLr(badSched, {}), /sched\.json: param_scheduler\.0\.end: end should be larger than begin, got begin=10, end=5/);
  const ok = writeConfig(MMSEG_160K);
  await assert.rejects(runLr(ok, { iters: '0,1.5' }), /--iters: expected integers >= 0, got '1\.5'/);
  await assert.rejects(runLr(ok, { iters: '' }), /--iters: expected comma-separated iterations such as 0,1,10, got ''/);
  await assert.rejects(runLr(ok, { out: join(dirname(ok), 'lr.pdf') }), /lr\.pdf: expected an output file ending in \.png or \.svg, got '\.pdf'/);
});
