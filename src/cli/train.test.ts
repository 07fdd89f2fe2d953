import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/segkit.js', import.meta.url));
const TOY = fileURLToPath(new URL('../engine/testing/toy.js', import.meta.url));

function writeConfig(dir: string, over: Record<string, unknown> = {}): string {
  const loader = { batch_size: 4, num_workers: 0, sampler: { type: 'DefaultSampler', shuffle: true }, dataset: { type: 'ToyDataset', size: 32 } };
  const cfg = {
    custom_imports: { imports: [TOY] },
    model: { type: 'ToyModel' },
    train_dataloader: loader,
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 30, val_interval: 15 },
    val_dataloader: { ...loader, sampler: { type: 'DefaultSampler', shuffle: false } },
    val_cfg: { type: 'ValLoop' },
    val_evaluator: { type: 'ToyMSEMetric' },
    optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.05, momentum: 0.9 } },
    param_scheduler: [{ type: 'PolyLR', power: 1, eta_min: 0, begin: 0, end: 30, by_epoch: false }],
    default_hooks: { checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 15, save_best: 'mse', rule: 'less' }, logger: { type: 'LoggerHook', interval: 5 } },
    log_processor: { by_epoch: false },
    randomness: { seed: 1 },
    visualizer: { type: 'Visualizer', vis_backends: [{ type: 'LocalVisBackend' }, { type: 'TensorboardVisBackend' }] },
    ...over,
  };
  const file = join(dir, 'toy.json');
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

const run = (args: string[], cwd: string) => spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });

test('segkit train runs a config end to end and prints where its outputs are', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-cli-'));
  // Two loader workers: they import the config's custom_imports to find ToyDataset.
  const cfg = writeConfig(dir, { train_dataloader: { batch_size: 4, num_workers: 2, persistent_workers: true, sampler: { type: 'DefaultSampler', shuffle: true }, dataset: { type: 'ToyDataset', size: 32 } } });
  const r = run(['train', cfg, '--work-dir', join(dir, 'work')], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Outputs:\n  work dir     work\n  log          work\/\d{8}_\d{6}\/\d{8}_\d{6}\.log/);
  assert.match(r.stdout, /checkpoints  .*work\/iter_15\.ckpt.*work\/iter_30\.ckpt/);
  assert.match(r.stdout, /last val     mse: \d/);
  const files = readdirSync(join(dir, 'work'));
  assert.ok(files.some((f) => /^best_mse_iter_\d+\.ckpt$/.test(f)), files.join(', '));
});

test('config errors name the file and key path and exit non-zero', () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-cli-'));
  const cfg = writeConfig(dir, { train_cfg: { type: 'IterBasedTrainLoop', max_iters: '30' } });
  const r = run(['train', cfg, '--work-dir', join(dir, 'work')], dir);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /toy\.json: train_cfg\.max_iters: expected number, got "30"/);
  const bad = run(['train', join(dir, 'missing.ts')], dir);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /missing\.ts/);
  const flag = run(['train', cfg, '--launcher', 'slurm'], dir);
  assert.match(flag.stderr, /--launcher: expected 'none' \| 'pytorch', got "slurm"/);
});

test('SIGINT finishes the iteration, saves a checkpoint, exits 130; --resume continues to the end', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-cli-'));
  const cfg = writeConfig(dir, { train_cfg: { type: 'IterBasedTrainLoop', max_iters: 100000, val_interval: 100000 }, param_scheduler: null,
    default_hooks: { logger: { type: 'LoggerHook', interval: 20 }, checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 100000 } } });
  const child = spawn(process.execPath, [BIN, 'train', cfg, '--work-dir', join(dir, 'work')], { cwd: dir });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  await new Promise<void>((resolve) => {
    const poll = setInterval(() => {
      if (/Iter\(train\) \[\s*40\//.test(out)) {
        clearInterval(poll);
        child.kill('SIGINT');
        resolve();
      }
    }, 20);
  });
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  assert.equal(code, 130, out);
  assert.match(out, /training interrupted by SIGINT; checkpoint saved to .*iter_\d+\.ckpt/);
  const last = readFileSync(join(dir, 'work', 'last_checkpoint'), 'utf8');
  assert.ok(existsSync(last));
  const stoppedAt = Number(/iter_(\d+)\.ckpt/.exec(last)![1]);
  const resumeCfg = writeConfig(dir, { train_cfg: { type: 'IterBasedTrainLoop', max_iters: stoppedAt + 10, val_interval: 100000 }, param_scheduler: null });
  const r = run(['train', resumeCfg, '--work-dir', join(dir, 'work'), '--resume'], dir);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout + r.stderr, new RegExp(`resumed epoch: 0, iter: ${stoppedAt}`));
});
