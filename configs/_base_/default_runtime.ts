// MMSeg's configs/_base_/default_runtime.py.
import { defineConfig } from 'segkit/config';

export default defineConfig({
  default_scope: 'mmseg',
  env_cfg: { cudnn_benchmark: true, mp_cfg: { mp_start_method: 'fork', opencv_num_threads: 0 }, dist_cfg: { backend: 'nccl' } },
  visualizer: { type: 'SegLocalVisualizer', vis_backends: [{ type: 'LocalVisBackend' }], name: 'visualizer' },
  log_processor: { by_epoch: false },
  log_level: 'INFO',
  load_from: null,
  resume: false,
  // Built only by `segkit test --tta`, wrapping `model` (tta_model.module = model).
  tta_model: { type: 'SegTTAModel' },
});
