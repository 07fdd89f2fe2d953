// Worker for collectives.test: exercises every collective on its rank and reports the values.
import { tensor } from '../../creation.js';
import {
  allGather, allGatherObject, allGatherSync, allReduce, allReduceSync, barrier, broadcast, broadcastObject, broadcastSync,
} from '../collectives.js';
import { destroyProcessGroup, getLocalRank, getRank, getWorldSize, initProcessGroup } from '../process-group.js';
import { reportResult, workerMain } from './launch.js';

workerMain(async () => {
  await initProcessGroup({ timeoutMs: 10_000 });
  const rank = getRank();
  const base = [1 + rank, 10 * (rank + 1), -rank];
  const out: Record<string, unknown> = { rank, worldSize: getWorldSize(), localRank: getLocalRank() };
  for (const op of ['sum', 'avg', 'max', 'min', 'product'] as const) {
    const t = tensor(base);
    await allReduce(t, op);
    out[op] = t.toArray();
  }
  const s = allReduceSync(tensor(base), 'sum');
  out.sumSync = s.toArray();
  out.broadcast = (await broadcast(tensor([rank, rank + 0.5]), 1)).toArray();
  out.broadcastSync = broadcastSync(tensor([rank * 3]), 0).toArray();
  out.allGather = (await allGather(tensor([[rank, rank * 2]]))).map((t) => t.tolist());
  out.allGatherSync = allGatherSync(tensor([rank], { dtype: 'int64' })).map((t) => t.toArray());
  out.allGatherObject = await allGatherObject({ rank, name: `r${rank}`, list: Array.from({ length: rank + 1 }, (_, i) => i) });
  out.broadcastObject = await broadcastObject(rank === 1 ? { from: 'one', n: [1, 2] } : null, 1);
  // The event loop keeps running while a collective waits: rank 1 arrives 300 ms late, rank 0 counts ticks.
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  if (rank === 1) await new Promise((r) => setTimeout(r, 300));
  await barrier();
  clearInterval(timer);
  out.ticksDuringBarrier = ticks;
  destroyProcessGroup();
  await reportResult(out);
});
