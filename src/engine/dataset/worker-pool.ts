// The main-thread side of a DataLoader's worker threads: sends index batches, matches answers, surfaces failures.
import { Worker } from 'node:worker_threads';
import { DataLoaderError, type FromWorker, type ToWorker, type WorkerInit } from './worker-protocol.js';

interface Request {
  indices: number[];
  resolve: (batch: unknown) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  threadId: number;
  /** Ids of requests sent to this worker and not answered yet. */
  pending: Set<number>;
  /** Set when the worker failed to start or died: every request to it fails with this. */
  failure?: Error;
}

const WORKER_URL = new URL('./data-worker.js', import.meta.url);

/** The parent's Node options minus --input-type, which only applies to -e input and stops a worker file from loading. */
function workerExecArgv(): string[] {
  const out: string[] = [];
  for (let i = 0; i < process.execArgv.length; i++) {
    const arg = process.execArgv[i]!;
    if (arg === '--input-type') i++;
    else if (!arg.startsWith('--input-type=')) out.push(arg);
  }
  return out;
}

export class WorkerPool {
  readonly #slots: Slot[];
  readonly #requests = new Map<number, Request>();
  readonly #datasetName: string;
  readonly #modules: string[];
  #nextId = 0;
  #closing = false;
  /**
   * A timer that holds the event loop open while requests are in flight or workers are being
   * stopped. Toggling worker.ref()/unref() instead let Node 20 exit with a terminate() pending.
   */
  #keepAlive: NodeJS.Timeout | null = null;

  constructor(inits: WorkerInit[], datasetName: string) {
    this.#datasetName = datasetName;
    this.#modules = inits[0]?.modules ?? [];
    this.#slots = inits.map((init) => {
      const worker = new Worker(WORKER_URL, { workerData: init, execArgv: workerExecArgv() });
      const slot: Slot = { worker, threadId: worker.threadId, pending: new Set() };
      worker.on('message', (msg: FromWorker) => this.#onMessage(init.workerId, msg));
      worker.on('error', (err) => this.#fail(init.workerId, new Error(`DataLoader worker ${init.workerId} crashed: ${err.message}`, { cause: err })));
      worker.on('exit', (code) => {
        if (!this.#closing) this.#fail(init.workerId, new Error(`DataLoader worker ${init.workerId} exited unexpectedly with code ${code}`));
      });
      // Idle workers do not keep the process alive; #keepAlive does while answers are awaited.
      worker.unref();
      return slot;
    });
  }

  get size(): number {
    return this.#slots.length;
  }

  /** The worker threads' ids (stable for as long as the pool lives). */
  get threadIds(): number[] {
    return this.#slots.map((s) => s.threadId);
  }

  /**
   * Asks worker `workerId` for the batch of these dataset indices, loaded after reseeding its data
   * random stream with `seed`; answers come in request order per worker.
   */
  fetch(workerId: number, indices: number[], seed: number): Promise<unknown> {
    const slot = this.#slots[workerId]!;
    if (this.#closing) return Promise.reject(new Error('DataLoader: the workers were closed'));
    if (slot.failure) return Promise.reject(slot.failure);
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#requests.set(id, { indices, resolve, reject });
      slot.pending.add(id);
      this.#hold();
      slot.worker.postMessage({ type: 'fetch', id, indices, seed } satisfies ToWorker);
    });
  }

  /** Forgets every request in flight (their answers are dropped) and clears the workers' queues. */
  cancelAll(): void {
    for (const slot of this.#slots) {
      for (const id of slot.pending) this.#requests.delete(id);
      slot.pending.clear();
      if (!slot.failure) slot.worker.postMessage({ type: 'cancel' } satisfies ToWorker);
    }
    this.#releaseIfIdle();
  }

  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#rejectAll(new Error('DataLoader: the workers were closed'));
    this.#hold();
    try {
      await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    } finally {
      clearInterval(this.#keepAlive!);
      this.#keepAlive = null;
    }
  }

  #hold(): void {
    this.#keepAlive ??= setInterval(() => {}, 1 << 30);
  }

  #releaseIfIdle(): void {
    if (this.#keepAlive && !this.#closing && this.#requests.size === 0) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = null;
    }
  }

  #settle(workerId: number, id: number): Request | undefined {
    this.#slots[workerId]!.pending.delete(id);
    const request = this.#requests.get(id);
    this.#requests.delete(id);
    this.#releaseIfIdle();
    return request;
  }

  #onMessage(workerId: number, msg: FromWorker): void {
    switch (msg.type) {
      case 'ready':
        return;
      case 'init-error':
        this.#fail(workerId, new DataLoaderStartError(workerId, msg.error.message, msg.error.stack, this.#modules));
        void this.#slots[workerId]!.worker.terminate();
        return;
      case 'result':
        this.#settle(workerId, msg.id)?.resolve(msg.batch);
        return;
      case 'error': {
        const request = this.#settle(workerId, msg.id);
        request?.reject(new DataLoaderError(msg.index, request.indices, workerId, this.#datasetName, msg.error.message, msg.error.stack));
        return;
      }
    }
  }

  #fail(workerId: number, err: Error): void {
    const slot = this.#slots[workerId]!;
    slot.failure ??= err;
    for (const id of [...slot.pending]) this.#settle(workerId, id)?.reject(slot.failure);
  }

  #rejectAll(err: Error): void {
    for (let w = 0; w < this.#slots.length; w++) {
      for (const id of [...this.#slots[w]!.pending]) this.#settle(w, id)?.reject(err);
    }
  }
}

/** A worker could not import its modules or build the dataset. */
export class DataLoaderStartError extends Error {
  constructor(readonly workerId: number, detail: string, readonly workerStack: string, modules: readonly string[]) {
    const imported = modules.length ? `it imported ${modules.join(', ')}` : 'it imported no modules';
    super(`DataLoader worker ${workerId} could not start: ${detail}\n(${imported}; the modules that register the datasets and transforms go in workerModules)`);
    this.name = 'DataLoaderStartError';
    this.stack = `${this.name}: ${this.message}\n--- stack in DataLoader worker ${workerId} ---\n${workerStack}`;
  }
}
