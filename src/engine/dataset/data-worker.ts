// Entry of a DataLoader worker thread: rebuilds the dataset from its config and answers batch requests in order.
import { parentPort, workerData } from 'node:worker_threads';
import { withKeyPath } from '../config/errors.js';
import { DATASETS } from '../registry/index.js';
import type { BaseDataset } from './base-dataset.js';
import type { Dataset } from './build-dataset.js';
import { resolveFunction, type CollateFn } from './collate.js';
import { seedDataRandom } from './random.js';
import { collectTransferables } from './transferables.js';
import { errorInfo, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;
const queue: { id: number; indices: number[]; seed: number }[] = [];
let dataset: Dataset | undefined;
let collate: ((batch: unknown[]) => unknown) | null = null;
let busy = false;

const post = (msg: FromWorker, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function setup(): Promise<void> {
  for (const url of init.modules) await import(url);
  // With the main thread's annotations at hand the dataset skips loading them (lazy_init) and adopts them.
  const cfg = init.shared ? { ...init.dataset, lazy_init: true } : init.dataset;
  const built = withKeyPath(init.keyPath, () => DATASETS.build<Dataset>(cfg));
  if (init.shared) (built as BaseDataset).adoptSharedState(init.shared);
  else built.fullInit?.();
  dataset = built;
  seedDataRandom(init.numWorkers * init.rank + init.workerId + init.seed);
  if (init.workerInitFn) {
    const fn = resolveFunction<(workerId: number, options: Record<string, unknown>) => unknown>(init.workerInitFn.name, ['worker_init_fn']);
    await fn(init.workerId, init.workerInitFn.options);
  }
  if (init.collate) {
    const fn = resolveFunction<CollateFn>(init.collate.name, ['collate_fn']);
    const options = init.collate.options;
    collate = (batch) => fn(batch, options);
  }
}

async function handle(id: number, indices: number[], seed: number): Promise<void> {
  // Per-batch seeding: the batch's augmentations do not depend on which worker loads it.
  seedDataRandom(seed);
  const samples: unknown[] = [];
  for (const index of indices) {
    try {
      samples.push(await dataset!.getItem(index));
    } catch (err) {
      post({ type: 'error', id, index, error: errorInfo(err) });
      return;
    }
  }
  try {
    const batch = collate ? collate(samples) : samples;
    post({ type: 'result', id, batch }, collectTransferables(batch));
  } catch (err) {
    post({ type: 'error', id, index: null, error: errorInfo(err) });
  }
}

async function pump(): Promise<void> {
  if (!dataset || busy) return;
  busy = true;
  while (queue.length > 0) {
    const { id, indices, seed } = queue.shift()!;
    await handle(id, indices, seed);
    // Lets a 'cancel' that arrived meanwhile drop the rest of the queue.
    await nextTurn();
  }
  busy = false;
}

const onMessage = (msg: ToWorker): void => {
  if (msg.type === 'fetch') {
    queue.push({ id: msg.id, indices: msg.indices, seed: msg.seed });
    void pump();
  } else {
    queue.length = 0;
  }
};
port.on('message', onMessage);

try {
  await setup();
  post({ type: 'ready' });
  void pump();
} catch (err) {
  post({ type: 'init-error', error: errorInfo(err) });
  port.off('message', onMessage);
}
