import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Config } from './config.js';
import { validateConfig } from './config-schema.js';
import { base, defineConfig } from './define-config.js';
import { KeySources } from './key-sources.js';

class SGD {}

function check(dict: Record<string, unknown>): string | undefined {
  const sources = new KeySources();
  for (const k of Object.keys(dict)) sources.set([k], 'configs/my.ts');
  try {
    validateConfig(new Config(dict, { sources }));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

test('a typical MMSeg config passes, free variables and nulls included', () => {
  assert.equal(check({
    _custom_var: 1, crop_size: [512, 512], norm_cfg: { type: 'SyncBN', requires_grad: true },
    default_scope: 'mmseg', work_dir: 'runs', log_level: 'INFO', load_from: null, resume: false, launcher: 'none',
    model: { type: 'EncoderDecoder', backbone: { type: 'ResNetV1c' } },
    train_dataloader: { batch_size: 2, num_workers: 2, persistent_workers: true, sampler: { type: 'InfiniteSampler', shuffle: true },
      dataset: { type: 'CityscapesDataset' } },
    val_dataloader: null, val_cfg: null, val_evaluator: null,
    test_evaluator: [{ type: 'IoUMetric', iou_metrics: ['mIoU'] }],
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 80000, val_interval: 8000 },
    optim_wrapper: { type: 'AmpOptimWrapper', optimizer: { type: SGD, lr: 0.01 }, loss_scale: 'dynamic', clip_grad: null,
      constructor: 'LearningRateDecayOptimizerConstructor', paramwise_cfg: { decay_rate: 0.9, num_layers: 12 } },
    param_scheduler: { type: 'PolyLR', power: 0.9 },
    default_hooks: { timer: { type: 'IterTimerHook' }, visualization: null },
    custom_hooks: [{ type: 'EMAHook', priority: 49 }],
    randomness: { seed: 0, deterministic: false },
    env_cfg: { cudnn_benchmark: true, mp_cfg: { mp_start_method: 'fork' }, dist_cfg: { backend: 'nccl' }, num_threads: 2 },
    auto_scale_lr: { enable: false, base_batch_size: 16 },
  }), undefined);
});

test('known top-level keys with the wrong kind of value name the key path and the file', () => {
  assert.equal(check({ train_cfg: { max_iters: '10' } }), 'configs/my.ts: train_cfg.max_iters: expected number, got "10"');
  assert.equal(check({ train_cfg: { max_iters: 10.5 } }), 'configs/my.ts: train_cfg.max_iters: expected int, got 10.5');
  assert.equal(check({ train_dataloader: { batch_size: 2, persistent_workers: 'yes' } }),
    'configs/my.ts: train_dataloader.persistent_workers: expected boolean, got "yes"');
  assert.equal(check({ model: { backbone: {} } }), 'configs/my.ts: model.type: expected a registered name or a class (got nothing)');
  assert.equal(check({ optim_wrapper: { optimizer: { type: 5 } } }),
    'configs/my.ts: optim_wrapper.optimizer.type: expected a registered name or a class (got 5)');
  assert.equal(check({ optim_wrapper: { loss_scale: 'dynamik' } }),
    `configs/my.ts: optim_wrapper.loss_scale: expected 'dynamic', a number or a dict (got "dynamik")`);
  assert.equal(check({ param_scheduler: [{ type: 'LinearLR' }, { power: 1 }] }),
    'configs/my.ts: param_scheduler.1.type: expected a registered name or a class (got nothing)');
  assert.equal(check({ val_evaluator: 'IoUMetric' }),
    'configs/my.ts: val_evaluator: expected an evaluator dict or a list of them (got "IoUMetric")');
  assert.equal(check({ default_hooks: { checkpoint: 'CheckpointHook' } }), 'configs/my.ts: default_hooks.checkpoint: expected object, got "CheckpointHook"');
  assert.equal(check({ randomness: { seed: 0, sed: 1 } }), "configs/my.ts: randomness: unknown key 'sed'");
  assert.equal(check({ launcher: 'torchrun' }), 'configs/my.ts: launcher: expected "none" | "pytorch" | "slurm" | "mpi", got "torchrun"');
  assert.equal(check({ work_dir: ['a'] }), 'configs/my.ts: work_dir: expected string, got a list');
});

test('defineConfig returns its argument and types the runner sections (checked by tsc)', () => {
  const cfg = defineConfig({
    _base_: ['../_base_/default_runtime.ts'],
    crop_size: [512, 512],
    model: { type: 'EncoderDecoder', decode_head: { num_classes: base<number>('num_classes') } },
    optim_wrapper: { type: 'OptimWrapper', optimizer: { type: SGD, lr: 0.01 }, paramwise_cfg: { custom_keys: { norm: { decay_mult: 0 } } } },
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: 1000 },
  });
  assert.equal(cfg.train_cfg.max_iters, 1000);
  // @ts-expect-error max_iters is a number
  defineConfig({ train_cfg: { max_iters: '10' } });
  // @ts-expect-error decay_type is 'layer_wise' | 'stage_wise'
  defineConfig({ optim_wrapper: { paramwise_cfg: { decay_type: 'layerwise' } } });
  // @ts-expect-error randomness has no free keys
  defineConfig({ randomness: { sed: 1 } });
});
