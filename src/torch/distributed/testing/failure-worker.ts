// Worker for failure.test: one rank stops taking part ($FAIL_SCENARIO 'peer-dies': killed in the
// middle of DDP training; 'peer-silent': alive but never joins a collective) and the other must fail
// with an error naming the op and its rank within $FAIL_TIMEOUT_MS.
import type { Tensor } from '../../tensor.js';
import { manualSeed } from '../../runtime.js';
import { randn, tensor } from '../../creation.js';
import { tidy } from '../../memory.js';
import { Linear } from '../../nn/linear.js';
import { mseLoss } from '../../functional/loss.js';
import { SGD } from '../../optim/sgd.js';
import { allReduce } from '../collectives.js';
import { DistributedDataParallel } from '../distributed-data-parallel.js';
import { getRank, initProcessGroup } from '../process-group.js';
import { reportResult, workerMain } from './launch.js';

workerMain(async () => {
  const timeoutMs = Number(process.env.FAIL_TIMEOUT_MS ?? 3000);
  await initProcessGroup({ timeoutMs });
  const rank = getRank();
  if (process.env.FAIL_SCENARIO === 'peer-silent') {
    if (rank === 1) {
      await new Promise((r) => setTimeout(r, timeoutMs * 2));
      return;
    }
    const started = Date.now();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 20);
    try {
      await allReduce(tensor([1, 2, 3]));
    } finally {
      clearInterval(timer);
      await reportResult({ waitedMs: Date.now() - started, ticks });
    }
    return;
  }
  manualSeed(0);
  const ddp = new DistributedDataParallel(new Linear(8, 4));
  const opt = new SGD(ddp.module.parameters(), { lr: 0.1 });
  for (let step = 0; step < 1000; step++) {
    if (rank === 1 && step === 3) process.kill(process.pid, 'SIGKILL');
    await reportResult({ step });
    tidy(() => {
      opt.zeroGrad();
      mseLoss(ddp.forward(randn([4, 8])) as Tensor, randn([4, 4])).backward();
      opt.step();
    });
    await new Promise((r) => setTimeout(r, 20));
  }
});
