// The shape MMSeg's schedule_{20,40,80,160}k.py share: SGD + PolyLR over `iters`, validation and
// checkpoints every tenth of the run.
import { defineConfig } from 'segkit/config';

export function polySchedule(iters: number) {
  const every = iters / 10;
  return defineConfig({
    optim_wrapper: { type: 'OptimWrapper', optimizer: { type: 'SGD', lr: 0.01, momentum: 0.9, weight_decay: 0.0005 }, clip_grad: null },
    param_scheduler: [{ type: 'PolyLR', eta_min: 1e-4, power: 0.9, begin: 0, end: iters, by_epoch: false }],
    train_cfg: { type: 'IterBasedTrainLoop', max_iters: iters, val_interval: every },
    val_cfg: { type: 'ValLoop' },
    test_cfg: { type: 'TestLoop' },
    default_hooks: {
      timer: { type: 'IterTimerHook' },
      logger: { type: 'LoggerHook', interval: 50, log_metric_by_epoch: false },
      param_scheduler: { type: 'ParamSchedulerHook' },
      checkpoint: { type: 'CheckpointHook', by_epoch: false, interval: every },
      sampler_seed: { type: 'DistSamplerSeedHook' },
      visualization: { type: 'SegVisualizationHook' },
    },
  });
}
