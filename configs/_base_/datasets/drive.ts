// MMSeg's configs/_base_/datasets/drive.py for ../shared/data/drive: there images and labels
// share the name `NN.png` (MMSeg's layout uses `_manual1.png`), in {train,test}/{images,labels}.
import { defineConfig } from 'segkit/config';
import { img_ratios, ttaPipeline } from './tta.ts';

const dataset_type = 'DRIVEDataset';
const data_root = '../shared/data/drive';
const img_scale = [584, 565];
const crop_size = [64, 64];
const train_pipeline = [
  { type: 'LoadImageFromFile' },
  { type: 'LoadAnnotations' },
  { type: 'RandomResize', scale: img_scale, ratio_range: [0.5, 2.0], keep_ratio: true },
  { type: 'RandomCrop', crop_size, cat_max_ratio: 0.75 },
  { type: 'RandomFlip', prob: 0.5 },
  { type: 'PhotoMetricDistortion' },
  { type: 'PackSegInputs' },
];
const test_pipeline = [
  { type: 'LoadImageFromFile' },
  { type: 'Resize', scale: img_scale, keep_ratio: true },
  { type: 'LoadAnnotations' },
  { type: 'PackSegInputs' },
];
const tta_pipeline = ttaPipeline(img_ratios);
const split = (name: 'train' | 'test', pipeline: unknown[]) => ({
  type: dataset_type, data_root, img_suffix: '.png', seg_map_suffix: '.png',
  data_prefix: { img_path: `${name}/images`, seg_map_path: `${name}/labels` }, pipeline,
});

const val_loader = {
  batch_size: 1, num_workers: 2, persistent_workers: true,
  sampler: { type: 'DefaultSampler', shuffle: false },
  dataset: split('test', test_pipeline),
};

export default defineConfig({
  dataset_type, data_root, img_scale, crop_size, train_pipeline, test_pipeline, img_ratios, tta_pipeline,
  train_dataloader: {
    batch_size: 4, num_workers: 2, persistent_workers: true,
    sampler: { type: 'InfiniteSampler', shuffle: true },
    dataset: split('train', train_pipeline),
  },
  val_dataloader: val_loader,
  test_dataloader: val_loader,
  val_evaluator: { type: 'IoUMetric', iou_metrics: ['mDice'] },
  test_evaluator: { type: 'IoUMetric', iou_metrics: ['mDice'] },
});
