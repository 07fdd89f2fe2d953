// Worker for distributed.test: on 2 ranks, runs SyncBuffersHook, the samplers with DistSamplerSeedHook
// and a metric's cross-rank collection, and reports what each rank saw.
import * as torch from '../../../torch/index.js';
import { nn } from '../../../torch/index.js';
import { reportResult, workerMain } from '../../../torch/distributed/testing/launch.js';
import { initDist } from '../dist-env.js';
import { SyncBuffersHook } from '../../hooks/sync-buffers-hook.js';
import { DistSamplerSeedHook } from '../../hooks/dist-sampler-seed-hook.js';
import { DefaultSampler } from '../../dataset/default-sampler.js';
import { InfiniteSampler } from '../../dataset/infinite-sampler.js';
import { BaseMetric, type MetricValues } from '../../evaluator/metric.js';
import type { Runner } from '../runner.js';

/** Keeps each sample's index, a typed array with NaN and a tensor, to see them cross ranks intact. */
class IndexMetric extends BaseMetric {
  override process(_batch: Record<string, unknown>, samples: unknown[]): void {
    for (const i of samples as number[]) this.results.push({ i, a: Float32Array.of(i, NaN), t: torch.tensor([i, 2 * i]) });
  }
  override computeMetrics(results: unknown[]): MetricValues {
    const r = results as { i: number; a: Float32Array; t: torch.Tensor }[];
    const ok = r.every(({ i, a, t }) => a[0] === i && Number.isNaN(a[1]) && t.toArray().join() === `${i},${2 * i}`);
    return { order: r.map((x) => x.i).join(','), intact: ok ? 1 : 0 };
  }
}

workerMain(async () => {
  await initDist('pytorch', { timeout: 20 });
  const rank = torch.distributed.getRank();
  const out: Record<string, unknown> = { rank };

  // SyncBuffersHook: different BN buffers per rank end as the mean (num_batches_tracked untouched).
  const bn = new nn.BatchNorm2d(3);
  const set = (mean: number, v: number): void => torch.noGrad(() => {
    bn.getBuffer('running_mean').fill_(mean);
    bn.getBuffer('running_var').fill_(v);
  });
  set(rank + 1, 2 * (rank + 1));
  torch.noGrad(() => bn.getBuffer('num_batches_tracked').fill_(5 * (rank + 1)));
  const hook = new SyncBuffersHook();
  const runner = { model: bn } as unknown as Runner;
  hook.afterTrainEpoch(runner);
  out.afterTrainEpoch = { mean: bn.getBuffer('running_mean').toArray(), var: bn.getBuffer('running_var').toArray(), nbt: bn.getBuffer('num_batches_tracked').toArray() };
  set(10 * (rank + 1), 1);
  hook.beforeValEpoch(runner); // the train epoch already synced: left alone
  out.firstVal = bn.getBuffer('running_mean').toArray();
  hook.beforeValEpoch(runner); // no train epoch since: syncs
  out.secondVal = bn.getBuffer('running_mean').toArray();

  // DefaultSampler (seed null: rank 0's seed everywhere) driven by DistSamplerSeedHook for 3 epochs.
  const sampler = new DefaultSampler({ shuffle: true }, { length: 11 }, { rank, worldSize: 2 });
  const seedHook = new DistSamplerSeedHook();
  const epochs: number[][] = [];
  for (const epoch of [0, 1, 2]) {
    seedHook.beforeTrainEpoch({ epoch, trainLoop: { dataloader: { sampler } } } as unknown as Runner);
    epochs.push([...sampler]);
  }
  out.sampler = { seed: sampler.seed, epochs };
  const infinite = new InfiniteSampler({ shuffle: true }, { length: 5 });
  const inf2 = new InfiniteSampler({ shuffle: true }, { length: 5 }, { rank, worldSize: 2 });
  const take = (s: Iterable<number>, n: number): number[] => {
    const r: number[] = [];
    for (const i of s) {
      if (r.length === n) break;
      r.push(i);
    }
    return r;
  };
  out.infinite = { seed: inf2.seed, singleSeed: infinite.seed, first: take(inf2, 10) };

  // Metric: rank r evaluates its shard of an unshuffled 11-sample split (padded to 12).
  const metric = new IndexMetric({ prefix: 'idx' });
  const valSampler = new DefaultSampler({ shuffle: false }, { length: 11 }, { rank, worldSize: 2 });
  const shard = [...valSampler];
  for (let k = 0; k < shard.length; k += 4) metric.process({}, shard.slice(k, k + 4));
  out.shard = shard;
  out.metrics = metric.evaluate(11);
  await reportResult(out);
  torch.distributed.destroyProcessGroup();
});
