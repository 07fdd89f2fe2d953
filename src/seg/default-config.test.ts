// The bundled default config (README command one), shortened: it must learn the shapes, and write
// checkpoints, logs, scalars, TensorBoard events and prediction overlays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin/segkit.js');

test('configs/default.ts trains end to end (shortened) and writes checkpoints, logs, scalars and TensorBoard events', { timeout: 180_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-default-'));
  const work = join(dir, 'work');
  const r = spawnSync(process.execPath, [BIN, 'train', join(ROOT, 'configs/default.ts'), '--work-dir', work, '--cfg-options',
    'train_cfg.max_iters=120', 'train_cfg.val_interval=120', 'default_hooks.checkpoint.interval=120', 'default_hooks.logger.interval=20',
    'param_scheduler.1.end=120', 'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=false',
    'val_dataloader.dataset.num_samples=12', 'default_hooks.visualization.interval=4',
    `val_dataloader.dataset.cache_dir=${join(dir, 'shapes')}`], { cwd: dir, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout.slice(-2000));
  const files = readdirSync(work);
  assert.ok(files.includes('iter_120.ckpt'), files.join(', '));
  assert.ok(files.some((f) => /^best_mIoU_iter_120\.ckpt$/.test(f)), files.join(', '));
  const run = files.find((f) => /^\d{8}_\d{6}$/.test(f))!;
  assert.ok(existsSync(join(work, run, `${run}.log`)));
  const vis = join(work, run, 'vis_data');
  const scalars = readFileSync(join(vis, 'scalars.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
  const val = scalars.find((s) => 'mIoU' in s)!;
  // Predicting background everywhere gives ~14 mIoU (6 classes, ~86% background); the full 400-iteration run reaches ~99.6.
  assert.ok(val.mIoU! > 90, `val mIoU ${val.mIoU}`);
  assert.ok(scalars.some((s) => typeof s.loss === 'number'));
  assert.ok(readdirSync(vis).some((f) => f.startsWith('events.out.tfevents')), readdirSync(vis).join(', '));
  // SegVisualizationHook drew val predictions over the PNGs the dataset wrote.
  assert.ok(readdirSync(join(vis, 'vis_image')).length >= 3);
  assert.ok(readdirSync(join(dir, 'shapes')).length === 12);
  assert.match(r.stdout, /last val .*mIoU: \d/);
});
