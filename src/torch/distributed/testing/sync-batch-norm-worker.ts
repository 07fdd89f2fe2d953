// Worker for sync-batch-norm.test: SyncBatchNorm on this rank's half of a batch next to plain
// BatchNorm on the whole batch; scenario 'layer' reports outputs, grads and running stats,
// scenario 'ddp' trains conv + BN (converted) under DDP against one-process training.
import type { Tensor } from '../../tensor.js';
import { manualSeed } from '../../runtime.js';
import { randn } from '../../creation.js';
import { tidy } from '../../memory.js';
import { noGrad } from '../../autograd.js';
import { BatchNorm2d } from '../../nn/batchnorm.js';
import { Conv2d } from '../../nn/conv.js';
import { Sequential } from '../../nn/container.js';
import type { Module } from '../../nn/module.js';
import { mseLoss } from '../../functional/loss.js';
import { SGD } from '../../optim/sgd.js';
import { allReduceSync } from '../collectives.js';
import { DistributedDataParallel } from '../distributed-data-parallel.js';
import { destroyProcessGroup, getRank, getWorldSize, initProcessGroup } from '../process-group.js';
import { SyncBatchNorm } from '../sync-batch-norm.js';
import { reportResult, workerMain } from './launch.js';

const state = (m: Module): Record<string, number[]> =>
  Object.fromEntries([...m.stateDict()].map(([k, v]) => [k, v.toArray()]));

workerMain(async () => {
  await initProcessGroup({ timeoutMs: 10_000 });
  const rank = getRank();
  const world = getWorldSize();
  const per = 2;
  const local = (t: Tensor): Tensor => t.narrow(0, rank * per, per);
  const out: Record<string, unknown> = {};
  manualSeed(7);
  if (process.env.SYNCBN_SCENARIO === 'ddp') {
    const make = (): Sequential => new Sequential(new Conv2d(3, 4, 3, { padding: 1 }), new BatchNorm2d(4), new Conv2d(4, 2, 1));
    manualSeed(7);
    const ref = make();
    manualSeed(7);
    const net = SyncBatchNorm.convertSyncBatchnorm(make()) as Sequential;
    out.converted = net.at(1) instanceof SyncBatchNorm;
    const ddp = new DistributedDataParallel(net);
    const opt = new SGD(ddp.module.parameters(), { lr: 0.05 });
    const refOpt = new SGD(ref.parameters(), { lr: 0.05 });
    for (let step = 0; step < 5; step++) {
      tidy(() => {
        const x = randn([per * world, 3, 5, 5]);
        const y = randn([per * world, 2, 5, 5]);
        opt.zeroGrad();
        mseLoss(ddp.forward(local(x)) as Tensor, local(y)).backward();
        opt.step();
        refOpt.zeroGrad();
        mseLoss(ref.forward(x), y).backward();
        refOpt.step();
      });
    }
    out.ddp = state(ddp.module);
    out.ref = state(ref);
    ddp.releaseReducer();
  } else {
    const sbn = new SyncBatchNorm(3);
    const bn = new BatchNorm2d(3);
    noGrad(() => {
      const w = randn([3]);
      const b = randn([3]);
      for (const m of [sbn, bn]) { m.weight!.copy_(w); m.bias!.copy_(b); }
    });
    const steps: unknown[] = [];
    for (let step = 0; step < 2; step++) {
      tidy(() => {
        // A large offset checks that the pooled variance stays accurate in float32.
        const x = randn([per * world, 3, 4, 4]).mul(2).add(5);
        const g = randn([per * world, 3, 4, 4]);
        const xs = local(x).detach().requiresGrad_(true);
        const xr = x.detach().requiresGrad_(true);
        for (const m of [sbn, bn]) { m.weight!.grad = null; m.bias!.grad = null; }
        const ys = sbn.forward(xs);
        ys.mul(local(g)).sum().backward();
        const yr = bn.forward(xr);
        yr.mul(g).sum().backward();
        steps.push({
          y: ys.toArray(), yRef: local(yr).toArray(),
          xGrad: xs.grad!.toArray(), xGradRef: local(xr.grad!).toArray(),
          // Each rank holds its part of the parameter gradients; DDP would average them, here we sum.
          weightGrad: allReduceSync(sbn.weight!.grad!.clone()).toArray(), weightGradRef: bn.weight!.grad!.toArray(),
          biasGrad: allReduceSync(sbn.bias!.grad!.clone()).toArray(), biasGradRef: bn.bias!.grad!.toArray(),
        });
      });
    }
    out.steps = steps;
    out.state = state(sbn);
    out.stateRef = state(bn);
    sbn.eval();
    bn.eval();
    out.evalEqual = tidy(() => {
      const x = randn([2, 3, 4, 4]);
      return sbn.forward(x).sub(bn.forward(x)).abs().max().item();
    });
  }
  destroyProcessGroup();
  await reportResult(out);
});
