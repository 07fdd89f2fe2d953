// MMSeg's configs/_base_/datasets/ade20k.py (data not bundled: put ADEChallengeData2016 under data/ade).
import { defineConfig } from 'segkit/config';
import { img_ratios, ttaPipeline } from './tta.ts';

const dataset_type = 'ADE20KDataset';
const data_root = 'data/ade/ADEChallengeData2016';
const crop_size = [512, 512];
const train_pipeline = [
  { type: 'LoadImageFromFile' },
  { type: 'LoadAnnotations', reduce_zero_label: true },
  { type: 'RandomResize', scale: [2048, 512], ratio_range: [0.5, 2.0], keep_ratio: true },
  { type: 'RandomCrop', crop_size, cat_max_ratio: 0.75 },
  { type: 'RandomFlip', prob: 0.5 },
  { type: 'PhotoMetricDistortion' },
  { type: 'PackSegInputs' },
];
const test_pipeline = [
  { type: 'LoadImageFromFile' },
  { type: 'Resize', scale: [2048, 512], keep_ratio: true },
  { type: 'LoadAnnotations', reduce_zero_label: true },
  { type: 'PackSegInputs' },
];

const tta_pipeline = ttaPipeline(img_ratios);

const val_loader = {
  batch_size: 1, num_workers: 4, persistent_workers: true,
  sampler: { type: 'DefaultSampler', shuffle: false },
  dataset: { type: dataset_type, data_root, data_prefix: { img_path: 'images/validation', seg_map_path: 'annotations/validation' }, pipeline: test_pipeline },
};

export default defineConfig({
  dataset_type, data_root, crop_size, train_pipeline, test_pipeline, img_ratios, tta_pipeline,
  train_dataloader: {
    batch_size: 4, num_workers: 4, persistent_workers: true,
    sampler: { type: 'InfiniteSampler', shuffle: true },
    dataset: { type: dataset_type, data_root, data_prefix: { img_path: 'images/training', seg_map_path: 'annotations/training' }, pipeline: train_pipeline },
  },
  val_dataloader: val_loader,
  test_dataloader: val_loader,
  val_evaluator: { type: 'IoUMetric', iou_metrics: ['mIoU'] },
  test_evaluator: { type: 'IoUMetric', iou_metrics: ['mIoU'] },
});
