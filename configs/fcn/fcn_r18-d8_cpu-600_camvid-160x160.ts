// A CPU-sized CamVid schedule for FCN on a dilated ResNetV1c-18: trained from scratch (no
// pretrained weights offline) with AdamW for 600 iterations of batch 8, inside an hour on 2 cores.
import { defineConfig } from 'segkit/config';

const max_iters = 600;
// MMSeg's conv_seg init (std 0.01) makes a from-scratch model predict only the frequent classes
// for a long time; std 0.1 lets every class start learning at once (see configs/default.ts).
const init_cfg = { type: 'Normal', std: 0.1, override: { name: 'conv_seg' } };

export default defineConfig({
  _base_: ['./fcn_r18-d8_80k_camvid-160x160.ts'],
  model: { decode_head: { init_cfg }, auxiliary_head: { init_cfg } },
  optim_wrapper: { optimizer: { _delete_: true, type: 'AdamW', lr: 0.001, weight_decay: 0.0001 } },
  param_scheduler: [
    { type: 'LinearLR', start_factor: 0.1, begin: 0, end: 50, by_epoch: false },
    { type: 'PolyLR', eta_min: 1e-5, power: 0.9, begin: 50, end: max_iters, by_epoch: false },
  ],
  train_cfg: { max_iters, val_interval: max_iters / 2 },
  default_hooks: { checkpoint: { interval: max_iters / 2, save_best: 'mIoU', rule: 'greater' }, logger: { interval: 25 } },
});
