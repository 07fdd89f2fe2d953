// CamVid at 240x180 (../shared/data/camvid-240x180): 11 classes, label 11 = void (ignored).
import { defineConfig } from 'segkit/config';
import { img_ratios, ttaPipeline } from './tta.ts';

const dataset_type = 'CamVidDataset';
const data_root = '../shared/data/camvid-240x180';
const img_scale = [240, 180];
const crop_size = [160, 160];
const train_pipeline = [
  { type: 'LoadImageFromFile' },
  { type: 'LoadAnnotations' },
  { type: 'RandomResize', scale: img_scale, ratio_range: [0.75, 1.5], keep_ratio: true },
  { type: 'RandomCrop', crop_size, cat_max_ratio: 0.75 },
  { type: 'RandomFlip', prob: 0.5 },
  { type: 'PhotoMetricDistortion' },
  { type: 'PackSegInputs' },
];
const test_pipeline = [
  { type: 'LoadImageFromFile' },
  { type: 'LoadAnnotations' },
  { type: 'PackSegInputs' },
];
const tta_pipeline = ttaPipeline(img_ratios);
const split = (img: string, ann: string, pipeline: unknown[]) => ({
  type: dataset_type, data_root, data_prefix: { img_path: img, seg_map_path: ann }, pipeline,
});

export default defineConfig({
  dataset_type, data_root, crop_size, train_pipeline, test_pipeline, img_ratios, tta_pipeline,
  train_dataloader: {
    batch_size: 8, num_workers: 2, persistent_workers: true,
    sampler: { type: 'InfiniteSampler', shuffle: true },
    dataset: split('train', 'trainannot', train_pipeline),
  },
  val_dataloader: {
    batch_size: 1, num_workers: 2, persistent_workers: true,
    sampler: { type: 'DefaultSampler', shuffle: false },
    dataset: split('val', 'valannot', test_pipeline),
  },
  test_dataloader: {
    batch_size: 1, num_workers: 2, persistent_workers: true,
    sampler: { type: 'DefaultSampler', shuffle: false },
    dataset: split('test', 'testannot', test_pipeline),
  },
  val_evaluator: { type: 'IoUMetric', iou_metrics: ['mIoU'] },
  test_evaluator: { type: 'IoUMetric', iou_metrics: ['mIoU'] },
});
