// `segkit print-config` on MMSegmentation's Python configs: merged through their _base_ chain,
// with --cfg-options, and custom_imports reported as ignored.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../../bin/segkit.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const run = (args: string[]) => spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });

test('segkit print-config prints a merged .py config, with --cfg-options applied', () => {
  const out = run(['print-config', 'configs/mmseg/fcn/fcn_r18-d8_80k_camvid-160x160.py', '--json', '--cfg-options', 'train_cfg.max_iters=100']);
  assert.equal(out.status, 0, out.stderr);
  const cfg = JSON.parse(out.stdout);
  assert.equal(cfg.model.backbone.depth, 18);
  assert.deepEqual(cfg.model.backbone.dilations, [1, 1, 2, 4]);
  assert.equal(cfg.model.decode_head.num_classes, 11);
  assert.deepEqual(cfg.model.decode_head.norm_cfg, { type: 'SyncBN', requires_grad: true });
  assert.equal(cfg.train_cfg.max_iters, 100);
  assert.equal(cfg.work_dir, 'work_dirs/fcn_r18-d8_80k_camvid-160x160');
});

test('segkit print-config warns that custom_imports of a .py config is ignored and keeps scoped names', () => {
  const out = run(['print-config', 'configs/mmseg/convnext/convnext-base_upernet_8xb2-amp-160k_ade20k-512x512.py']);
  assert.equal(out.status, 0, out.stderr);
  assert.match(out.stderr, /upernet_convnext\.py:13:1: custom_imports is ignored/);
  assert.match(out.stdout, /type: 'mmpretrain\.ConvNeXt'/);
  assert.doesNotMatch(out.stdout, /custom_imports/);
});

test('segkit print-config reports an unsupported construct in a .py config with file:line:column', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'segkit-cli-py-')), 'bad.py');
  writeFileSync(file, "_base_ = []\nmodel = dict(\n    type='EncoderDecoder',\n    steps=lambda: 3)\n");
  const out = run(['print-config', file]);
  assert.notEqual(out.status, 0);
  assert.match(out.stderr, /bad\.py:4:11: a lambda is not supported in a config read without Python/);
});
