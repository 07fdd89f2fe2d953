// `segkit train --nproc 2` end to end on the toy task (2 processes on 127.0.0.1), the launcher's
// failure handling (a rank killed mid-training) and signal forwarding, and its argv rewriting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchLocal, rankArgs } from './launch.js';

const BIN = fileURLToPath(new URL('../../../bin/segkit.js', import.meta.url));
const TOY = fileURLToPath(new URL('../engine/testing/toy.js', import.meta.url));
const FIXTURE = fileURLToPath(new URL('./dist-fixture.js', import.meta.url));

function writeConfig(dir: string, name: string, over: Record<string, unknown> = {}): string {
  const loader = { batch_size: 4, num_workers: 0, sampler: { type: 'DefaultSampler', shuffle: true }, dataset: { type: 'ToyDataset', size: 32 } };
  const cfg = {
    custom_imports: { imports: [TOY, FIXTURE] },
    model: { type: 'ToyModel' },
    train_dataloader: loader,
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 8, val_interval: 4 },
    val_dataloader: { ...loader, sampler: { type: 'DefaultSampler', shuffle: false }, dataset: { type: 'ToyDataset', size: 11 } },
    val_cfg: { type: 'ValLoop' },
    val_evaluator: { type: 'ToyMSEMetric' },
    optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 } },
    param_scheduler: [{ type: 'PolyLR', power: 1, eta_min: 0, begin: 0, end: 8, by_epoch: false }],
    default_hooks: { checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 4 }, logger: { type: 'LoggerHook', interval: 2 } },
    custom_hooks: [{ type: 'DumpWeightsHook' }],
    log_processor: { by_epoch: false },
    randomness: { seed: 3 },
    ...over,
  };
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

function segkit(args: string[], cwd: string, timeoutMs = 50_000): Promise<{ code: number | null; out: string; err: string; ms: number }> {
  const start = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, OMP_NUM_THREADS: '1' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, out, err, ms: Date.now() - start });
    });
  });
}

type Weights = { rank: number; worldSize: number; weights: Record<string, number[]> };
const weightsOf = (dir: string, rank: number): Weights => JSON.parse(readFileSync(join(dir, `weights_rank${rank}.json`), 'utf8')) as Weights;

test('--nproc 2: rank 0 writes checkpoints and one log; both ranks end equal, and equal to 1 process with the double batch', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-ddp-'));
  const cfg = writeConfig(dir, 'toy');
  const [two, one] = await Promise.all([
    segkit(['train', cfg, '--work-dir', join(dir, 'two'), '--nproc', '2'], dir),
    segkit(['train', cfg, '--work-dir', join(dir, 'one'), '--cfg-options', 'train_dataloader.batch_size=8'], dir),
  ]);
  assert.equal(two.code, 0, two.err);
  assert.equal(one.code, 0, one.err);
  assert.match(two.out, /2 processes \(launcher pytorch, gloo\)/);
  assert.match(two.out, /Distributed training on 2 processes: MMDistributedDataParallel/);
  assert.equal((two.out.match(/^Outputs:/gm) ?? []).length, 1, 'only rank 0 reports outputs');
  assert.equal((two.out.match(/Iter\(train\) \[8\/8\]/g) ?? []).length, 1, 'only rank 0 logs at INFO');

  const files = readdirSync(join(dir, 'two'));
  for (const f of ['iter_4.ckpt', 'iter_8.ckpt', 'last_checkpoint']) assert.ok(files.includes(f), files.join(', '));
  const logDirs = files.filter((f) => /^\d{8}_\d{6}$/.test(f));
  assert.equal(logDirs.length, 1, 'both ranks share rank 0\'s timestamp');
  assert.deepEqual(readdirSync(join(dir, 'two', logDirs[0]!)).filter((f) => f.endsWith('.log')), [`${logDirs[0]}.log`], 'one log file, rank 0\'s');

  const [r0, r1] = [weightsOf(join(dir, 'two'), 0), weightsOf(join(dir, 'two'), 1)];
  assert.equal(r0.worldSize, 2);
  assert.deepEqual(r1.weights, r0.weights, 'the ranks end with the same weights');
  const single = weightsOf(join(dir, 'one'), 0);
  assert.equal(single.worldSize, 1);
  for (const [k, v] of Object.entries(single.weights)) {
    v.forEach((x, i) => assert.ok(Math.abs(x - r0.weights[k]![i]!) < 1e-5, `${k}[${i}]: 1 process ${x} vs 2 ranks ${r0.weights[k]![i]}`));
  }
  // Checkpoint keys are the bare model's (no DDP 'module.' prefix).
  const { loadCheckpointFile } = await import('../engine/index.js');
  const ckpt = loadCheckpointFile(join(dir, 'two', 'iter_8.ckpt'));
  assert.deepEqual([...(ckpt.state_dict as Map<string, unknown>).keys()].sort(), ['linear.bias', 'linear.weight']);
  assert.equal(((ckpt.rng as { per_rank: unknown[] }).per_rank).length, 2, 'every rank\'s RNG state is saved');
});

test('a rank killed mid-training makes the launcher end the other rank and exit 1 naming the dead rank', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-ddp-'));
  const cfg = writeConfig(dir, 'kill', {
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 100000, val_interval: 100000 }, param_scheduler: null,
    custom_hooks: [{ type: 'KillRankHook', rank: 1, iter: 3 }],
  });
  const r = await segkit(['train', cfg, '--work-dir', join(dir, 'work'), '--nproc', '2'], dir, 45_000);
  assert.equal(r.code, 1, r.err);
  assert.ok(r.ms < 40_000, `took ${r.ms} ms`);
  assert.match(r.err, /segkit launcher: rank 1 \(local rank 1, pid \d+\) was killed by SIGKILL/);
  assert.doesNotMatch(r.out, /Iter\(train\) \[\s*10\//, 'rank 0 did not train on alone');
});

test('launchLocal forwards SIGTERM to the ranks and exits with 143 when they stop on it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-launch-'));
  const script = join(dir, 'rank.mjs');
  writeFileSync(script, `process.on('SIGTERM', () => process.exit(143));
process.send?.('ready'); setInterval(() => {}, 1000);
import('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(dir)} + '/started_' + process.env.RANK, process.env.WORLD_SIZE + ' ' + process.env.MASTER_PORT));`);
  const run = launchLocal({ nproc: 2, script, args: [], stderr: { write: () => true } });
  for (let i = 0; i < 200 && !(existsSync(join(dir, 'started_0')) && existsSync(join(dir, 'started_1'))); i++) await new Promise((r) => setTimeout(r, 25));
  process.kill(process.pid, 'SIGTERM');
  const result = await run;
  assert.equal(result.exitCode, 143);
  assert.equal(result.failed, null);
  assert.deepEqual(result.exits.map((e) => e.exitCode), [143, 143]);
  assert.equal(readFileSync(join(dir, 'started_1'), 'utf8'), `2 ${result.masterPort}`);
});

test('a rank exiting with an error is reported with its exit code and last stderr lines', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-launch-'));
  const script = join(dir, 'rank.mjs');
  writeFileSync(script, `if (process.env.RANK === '0') { console.error('line one\\nboom: bad thing'); process.exit(3); } else setInterval(() => {}, 1000);`);
  let text = '';
  const result = await launchLocal({ nproc: 2, script, args: [], stderr: { write: (t: string) => { text += t; return true; } }, killGraceMs: 2000 });
  assert.equal(result.exitCode, 1);
  assert.equal(result.failed?.rank, 0);
  assert.equal(result.failed?.exitCode, 3);
  assert.equal(result.exits[1]!.signal, 'SIGTERM', 'the other rank was ended');
  assert.match(text, /rank 0 \(local rank 0, pid \d+\) exited with code 3\nlast 2 lines of rank 0's stderr:\n {2}\[rank 0\] line one\n {2}\[rank 0\] boom: bad thing/);
});

test('rankArgs drops the launch flags (both spellings) and adds --launcher pytorch', () => {
  assert.deepEqual(rankArgs(['train', 'c.ts', '--nproc', '2', '--nnodes=1', '--node-rank', '0', '--master-addr', 'h', '--master-port=1', '--amp', '--launcher', 'none']),
    ['train', 'c.ts', '--amp', '--launcher', 'pytorch']);
});

test('--launcher pytorch without the environment says which variables are missing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-ddp-'));
  const cfg = writeConfig(dir, 'noenv');
  const env = { ...process.env };
  for (const k of ['RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT']) delete env[k];
  const r = await segkit(['train', cfg, '--work-dir', join(dir, 'w'), '--launcher', 'pytorch'], dir);
  assert.equal(r.code, 1);
  assert.match(r.err, /launcher 'pytorch': \$RANK, \$WORLD_SIZE, \$LOCAL_RANK, \$MASTER_ADDR, \$MASTER_PORT not set/);
  const bad = await segkit(['train', cfg, '--nproc', '0'], dir);
  assert.match(bad.err, /--nproc: expected an integer >= 1, got '0'/);
});
