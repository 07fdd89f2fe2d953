// Worker for distributed-data-parallel.test: trains a small MLP under DDP next to a one-process
// reference on the whole batch, and reports both (scenario from $DDP_SCENARIO).
import type { Tensor } from '../../tensor.js';
import { manualSeed } from '../../runtime.js';
import { randn } from '../../creation.js';
import { tidy } from '../../memory.js';
import { Module } from '../../nn/module.js';
import { Linear } from '../../nn/linear.js';
import { relu } from '../../functional/activation.js';
import { mseLoss } from '../../functional/loss.js';
import { SGD } from '../../optim/sgd.js';
import { DistributedDataParallel } from '../distributed-data-parallel.js';
import { destroyProcessGroup, getRank, getWorldSize, initProcessGroup } from '../process-group.js';
import { reportResult, workerMain } from './launch.js';

/** fc1 -> relu -> fc2, plus a branch added to the output only when asked. */
class Net extends Module {
  fc1 = this.registerModule('fc1', new Linear(4, 8));
  fc2 = this.registerModule('fc2', new Linear(8, 3));
  branch = this.registerModule('branch', new Linear(8, 3));
  forward(x: Tensor, useBranch = false): Tensor {
    const h = relu(this.fc1.forward(x));
    const out = this.fc2.forward(h);
    return useBranch ? out.add(this.branch.forward(h)) : out;
  }
}

const weights = (m: Module): Record<string, number[]> =>
  Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.toArray()]));
const grads = (m: Module): Record<string, number[] | null> =>
  Object.fromEntries(m.namedParameters().map(([n, p]) => [n, p.grad ? p.grad.toArray() : null]));

workerMain(async () => {
  await initProcessGroup({ timeoutMs: 10_000 });
  const rank = getRank();
  const world = getWorldSize();
  const scenario = process.env.DDP_SCENARIO ?? 'equivalence';
  // Rank 0's initial weights are the reference's; other ranks start elsewhere and must receive them.
  manualSeed(0);
  const ref = new Net();
  manualSeed(rank === 0 ? 0 : 1234);
  const net = new Net();
  // Without find_unused_parameters every trained parameter must get a grad each step: freeze the branch.
  if (scenario !== 'unused' && scenario !== 'unused-without-flag') for (const m of [net, ref]) m.branch.requiresGrad_(false);
  const ddp = new DistributedDataParallel(net, { find_unused_parameters: scenario === 'unused', bucket_cap_mb: 0.0001 });
  const out: Record<string, unknown> = {
    initialEqual: JSON.stringify(weights(net)) === JSON.stringify(weights(ref)),
    initialBranch: net.branch.weight.toArray(),
  };
  const opt = new SGD(ddp.module.parameters(), { lr: 0.1 });
  const refOpt = new SGD(ref.parameters(), { lr: 0.1 });
  manualSeed(42);
  const per = 2;
  const local = (t: Tensor, r: number): Tensor => t.narrow(0, r * per, per);

  if (scenario === 'unused-without-flag') {
    // The branch never gets a grad and find_unused_parameters is off: the second forward must fail.
    for (let step = 0; step < 2; step++) {
      tidy(() => mseLoss(ddp.forward(randn([per, 4])) as Tensor, randn([per, 3])).backward());
    }
  } else if (scenario === 'equivalence' || scenario === 'unused') {
    for (let step = 0; step < 10; step++) {
      tidy(() => {
        const x = randn([per * world, 4]);
        const y = randn([per * world, 3]);
        // 'unused': rank 0 uses the branch on even steps, rank 1 never (steps 1,3,.. nobody does).
        const uses = (r: number): boolean => scenario === 'unused' && r === 0 && step % 2 === 0;
        opt.zeroGrad();
        const pred = ddp.forward(local(x, rank), uses(rank)) as Tensor;
        mseLoss(pred, local(y, rank)).backward();
        opt.step();
        refOpt.zeroGrad();
        let loss: Tensor | null = null;
        for (let r = 0; r < world; r++) {
          const l = mseLoss(ref.forward(local(x, r), uses(r)), local(y, r)).div(world);
          loss = loss ? loss.add(l) : l;
        }
        loss!.backward();
        refOpt.step();
      });
    }
    out.ddp = weights(ddp.module);
    out.ref = weights(ref);
    out.bucketsRebuilt = ddp.bucketsRebuilt;
    out.prefixedNames = ddp.namedParameters().map(([n]) => n);
    out.stateDictKeys = [...ddp.module.stateDict().keys()];
  } else if (scenario === 'nosync') {
    const xs = [0, 1, 2].map(() => randn([per * world, 4]));
    const ys = [0, 1, 2].map(() => randn([per * world, 3]));
    for (let i = 0; i < 3; i++) {
      tidy(() => {
        const run = (): void => mseLoss(ddp.forward(local(xs[i]!, rank)) as Tensor, local(ys[i]!, rank)).backward();
        if (i < 2) ddp.noSync(run);
        else run();
        mseLoss(ref.forward(xs[i]!), ys[i]!).backward();
      });
      if (i === 1) out.localAfterNoSync = grads(ddp.module);
    }
    out.ddp = grads(ddp.module);
    out.ref = grads(ref);
  }
  ddp.releaseReducer();
  destroyProcessGroup();
  await reportResult(out);
});
