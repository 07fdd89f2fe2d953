// Worker for dist-iou.test: rank r evaluates IoUMetric on its DefaultSampler shard of seeded
// random label/prediction maps; the results are gathered across ranks before the metric is computed.
import * as torch from '../torch/index.js';
import { reportResult, workerMain } from '../torch/distributed/testing/launch.js';
import { initDist } from '../engine/runner/dist-env.js';
import { DefaultSampler, METRICS, MMLogger } from '../engine/index.js';
import '../seg/evaluation/index.js';
import type { BaseMetric } from '../engine/index.js';

export const IOU_CLASSES = ['a', 'b', 'c', 'd'];
export const IOU_SAMPLES = 7;

/** Sample i: seeded random 6x5 label (with ignore 255) and prediction maps. */
export function iouSample(i: number): Record<string, unknown> {
  torch.manualSeed(100 + i);
  const label = torch.randint(0, IOU_CLASSES.length + 1, [1, 6, 5]).long();
  const gt = torch.where(label.eq(IOU_CLASSES.length), 255, label);
  const pred = torch.randint(0, IOU_CLASSES.length, [1, 6, 5]).long();
  return { metainfo: { img_path: `img_${i}.png`, ori_shape: [6, 5] }, gt_sem_seg: { data: gt }, pred_sem_seg: { data: pred } };
}

export function iouMetric(): BaseMetric {
  const metric = METRICS.build<BaseMetric>({ type: 'IoUMetric', iou_metrics: ['mIoU', 'mDice', 'mFscore'] });
  metric.datasetMeta = { classes: IOU_CLASSES };
  return metric;
}

if (process.env.RANK !== undefined) {
  workerMain(async () => {
    await initDist('pytorch', { timeout: 20 });
    MMLogger.getInstance('dist-iou', { stream: { write: () => true } });
    const rank = torch.distributed.getRank();
    const metric = iouMetric();
    const shard = [...new DefaultSampler({ shuffle: false }, { length: IOU_SAMPLES }, { rank, worldSize: 2 })];
    for (let k = 0; k < shard.length; k += 2) metric.process({}, shard.slice(k, k + 2).map(iouSample));
    await reportResult({ rank, shard, metrics: metric.evaluate(IOU_SAMPLES) });
    torch.distributed.destroyProcessGroup();
  });
}
