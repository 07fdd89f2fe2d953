// Data-parallel training on this machine: a small CNN's training throughput with 2 ranks (DDP,
// gloo, 1 libtorch thread each) against 1 process with 2 threads and the double batch, and the
// communication cost per step of a 12.8 M-parameter model: the bucketed gradient all-reduce
// (25 MiB buckets, as DDP) of 12.8 M float32 values across 2 ranks, median ms.
// Run: `node dist/bench/ddp.js` (or `npm run bench -- ddp`); a rank runs this file with $RANK set.
import { fileURLToPath } from 'node:url';
import * as torch from '../src/torch/index.js';
import { nn } from '../src/torch/index.js';
import { reportResult, runWorkers, workerMain } from '../src/torch/distributed/testing/launch.js';
import { median } from './fcn-step.js';

const PER_RANK_BATCH = 8;
const WARMUP = 3;
const STEPS = 15;
const GRAD_PARAMS = 12_800_000;
const BUCKET_BYTES = 25 * 1024 * 1024;

const cnn = (): nn.Module => new nn.Sequential(
  new nn.Conv2d(3, 32, 3, { padding: 1 }), new nn.ReLU(),
  new nn.Conv2d(32, 64, 3, { padding: 1, stride: 2 }), new nn.ReLU(),
  new nn.Conv2d(64, 64, 3, { padding: 1 }), new nn.ReLU(),
  new nn.AdaptiveAvgPool2d(1), new nn.Flatten(), new nn.Linear(64, 10),
);

/** Median seconds per training step of `batch` 64x64 images; through DDP when distributed. */
function trainSteps(batch: number, distributed: boolean): number {
  torch.manualSeed(0);
  const net = cnn();
  const model = distributed ? new torch.distributed.DistributedDataParallel(net) : net;
  const opt = new torch.optim.SGD(net.parameters(), { lr: 0.01 });
  const x = torch.randn([batch, 3, 64, 64]);
  const y = torch.randint(0, 10, [batch]);
  const times: number[] = [];
  for (let i = 0; i < WARMUP + STEPS; i++) {
    const t0 = performance.now();
    torch.tidy(() => {
      opt.zeroGrad();
      const loss = torch.F.crossEntropy(model.forward(x) as torch.Tensor, y);
      loss.backward();
      opt.step();
    });
    if (i >= WARMUP) times.push((performance.now() - t0) / 1000);
  }
  return median(times);
}

/** Median ms of all-reducing (avg) 12.8 M float32 gradients in 25 MiB buckets, waited on together (DDP's pattern). */
async function bucketedAllReduceMs(): Promise<number> {
  const perBucket = BUCKET_BYTES / 4;
  const buckets: torch.Tensor[] = [];
  for (let left = GRAD_PARAMS; left > 0; left -= perBucket) buckets.push(torch.randn([Math.min(perBucket, left)]));
  const times: number[] = [];
  for (let i = 0; i < WARMUP + STEPS; i++) {
    await torch.distributed.barrier();
    const t0 = performance.now();
    const works = buckets.map((b) => torch.distributed.startAllReduce(b, 'avg', {}));
    for (const w of works) await w.wait();
    if (i >= WARMUP) times.push(performance.now() - t0);
  }
  torch.dispose(buckets);
  return median(times);
}

export interface DdpBench {
  name: string;
  /** Images per second over all ranks. */
  twoRanksImgPerS: number;
  oneRankImgPerS: number;
  /** twoRanks / oneRank throughput. */
  ratio: number;
  allReduceMs: number;
}

export async function benchDdp(): Promise<DdpBench> {
  const script = fileURLToPath(import.meta.url);
  const one = await runWorkers(script, 1, { env: { BENCH_DDP_THREADS: '2' }, killAfterMs: 90_000 });
  const two = await runWorkers(script, 2, { env: { BENCH_DDP_THREADS: '1' }, killAfterMs: 90_000 });
  for (const o of [...one, ...two]) if (o.exitCode !== 0) throw new Error(`bench ddp: rank ${o.rank} failed: ${o.error}`);
  const r1 = one[0]!.result as { stepS: number };
  const r2 = two.map((o) => o.result as { stepS: number; allReduceMs: number });
  const oneRankImgPerS = (2 * PER_RANK_BATCH) / r1.stepS;
  const twoRanksImgPerS = (2 * PER_RANK_BATCH) / Math.max(...r2.map((r) => r.stepS));
  return {
    name: `DDP 2 ranks x 1 thread vs 1 rank x 2 threads (CNN, ${2 * PER_RANK_BATCH} img/step)`,
    twoRanksImgPerS, oneRankImgPerS, ratio: twoRanksImgPerS / oneRankImgPerS, allReduceMs: median(r2.map((r) => r.allReduceMs)),
  };
}

export function formatDdp(r: DdpBench): string {
  return `${r.name}: 2 ranks ${r.twoRanksImgPerS.toFixed(1)} img/s, 1 rank ${r.oneRankImgPerS.toFixed(1)} img/s (ratio ${r.ratio.toFixed(2)})\n`
    + `DDP communication per step, 12.8 M float32 grads in 25 MiB buckets across 2 ranks (gloo, 127.0.0.1): ${r.allReduceMs.toFixed(1)} ms (median)`;
}

if (process.env.RANK !== undefined) {
  workerMain(async () => {
    torch.setNumThreads(Number(process.env.BENCH_DDP_THREADS ?? 1));
    const world = Number(process.env.WORLD_SIZE);
    if (world === 1) {
      await reportResult({ stepS: trainSteps(2 * PER_RANK_BATCH, false) });
      return;
    }
    await torch.distributed.initProcessGroup({ timeoutMs: 60_000 });
    const stepS = trainSteps(PER_RANK_BATCH, true);
    const allReduceMs = await bucketedAllReduceMs();
    await reportResult({ stepS, allReduceMs });
    torch.distributed.destroyProcessGroup();
  });
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.log(formatDdp(await benchDdp()));
}
