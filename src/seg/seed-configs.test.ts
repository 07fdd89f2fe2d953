// The seed's three optimizer set-ups, each trained a few iterations through `segkit train` on
// CPU (shrunken models, 32x32 CamVid crops): SGD OptimWrapper (FCN-R18), AdamW + custom_keys
// with _delete_ (ViT UPerNet), AmpOptimWrapper + LearningRateDecayOptimizerConstructor
// stage_wise (ConvNeXt UPerNet, bfloat16 autocast on CPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'segkit.js');
const CAMVID = join(ROOT, '..', 'shared', 'data', 'camvid-240x180');

const camvidTrain = {
  _delete_: true,
  batch_size: 2, num_workers: 0,
  sampler: { type: 'InfiniteSampler', shuffle: true },
  dataset: {
    type: 'CamVidDataset', data_root: CAMVID, data_prefix: { img_path: 'train', seg_map_path: 'trainannot' },
    pipeline: [
      { type: 'LoadImageFromFile' }, { type: 'LoadAnnotations' },
      { type: 'RandomCrop', crop_size: [32, 32] }, { type: 'RandomFlip', prob: 0.5 }, { type: 'PackSegInputs' },
    ],
  },
};
const noEval = { val_dataloader: null, val_cfg: null, val_evaluator: null, test_dataloader: null, test_cfg: null, test_evaluator: null };

function train(base: string, over: Record<string, unknown>): { losses: number[]; log: string } {
  const dir = mkdtempSync(join(tmpdir(), 'segkit-seed-'));
  const cfg = {
    _base_: join(ROOT, 'configs', base),
    work_dir: join(dir, 'work'),
    train_dataloader: camvidTrain,
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 3, val_interval: 1000 },
    default_hooks: { logger: { type: 'LoggerHook', interval: 1 }, checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: 3 } },
    randomness: { seed: 0 },
    ...noEval,
    ...over,
  };
  const file = join(dir, 'seed.json');
  writeFileSync(file, JSON.stringify(cfg));
  const r = spawnSync(process.execPath, [BIN, 'train', file], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr + r.stdout);
  assert.ok(readdirSync(join(dir, 'work')).includes('iter_3.ckpt'));
  const losses = [...r.stdout.matchAll(/Iter\(train\) \[\d\/3\].*?  loss: (\S+)/g)].map((m) => Number(m[1]));
  assert.equal(losses.length, 3, r.stdout);
  for (const l of losses) assert.ok(Number.isFinite(l) && l > 0, `loss ${l}`);
  return { losses, log: r.stdout };
}

test('SGD OptimWrapper (FCN on a dilated ResNetV1c-18) trains', () => {
  const { log } = train('fcn/fcn_r18-d8_80k_camvid-160x160.ts', { model: { data_preprocessor: { size: [32, 32] } } });
  assert.match(log, /lr: 9\.\d+e-03/);
});

test('AdamW with custom_keys (pos_embed, cls_token, norm: decay_mult 0) replacing the base optim_wrapper trains', () => {
  train('vit/vit_vit-b16-ln_mln_upernet_8xb2-160k_ade20k-512x512.ts', {
    model: {
      data_preprocessor: { size: [32, 32] },
      backbone: { img_size: [32, 32], embed_dims: 32, num_layers: 4, num_heads: 2, out_indices: [0, 1, 2, 3] },
      neck: { in_channels: [32, 32, 32, 32], out_channels: 32 },
      decode_head: { in_channels: [32, 32, 32, 32], channels: 16, num_classes: 11 },
      auxiliary_head: { in_channels: 32, channels: 8, num_classes: 11 },
    },
  });
});

test('AmpOptimWrapper (dynamic loss scale, bfloat16 on CPU) with stage-wise layer decay trains', () => {
  const { log } = train('convnext/convnext-base_upernet_8xb2-amp-160k_ade20k-512x512.ts', {
    model: {
      data_preprocessor: { size: [32, 32] },
      backbone: { arch: { _delete_: true, depths: [1, 1, 1, 1], channels: [8, 16, 32, 64] }, drop_path_rate: 0.1 },
      decode_head: { in_channels: [8, 16, 32, 64], channels: 16, num_classes: 11 },
      auxiliary_head: { in_channels: 32, channels: 8, num_classes: 11 },
      test_cfg: { mode: 'whole' },
    },
  });
  assert.doesNotMatch(log, /skipped the optimizer step/);
});
