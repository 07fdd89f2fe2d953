// The default process group: init_process_group from env:// or tcp://, rank/world-size queries, teardown.
import { dist, type GroupHandle } from './native-dist.js';

export type Backend = 'gloo' | 'nccl';

export interface InitProcessGroupOptions {
  /** 'gloo' (CPU) or 'nccl' (CUDA, needs a libtorch with NCCL); default 'gloo'. */
  backend?: Backend;
  /** 'env://' (MASTER_ADDR/MASTER_PORT, default) or 'tcp://host:port'. */
  initMethod?: string;
  /** Defaults to $RANK. */
  rank?: number;
  /** Defaults to $WORLD_SIZE. */
  worldSize?: number;
  /** Rendezvous and per-collective timeout; default 30 minutes (PyTorch's). */
  timeoutMs?: number;
  /** Network interface Gloo binds to (else $GLOO_SOCKET_IFNAME, else the store host when it is loopback). */
  glooInterface?: string;
}

/** One process group: its rank, size and backend, and the native handle the collectives use. */
export class ProcessGroup {
  #handle: GroupHandle | null;
  constructor(handle: GroupHandle, readonly rank: number, readonly worldSize: number, readonly backend: Backend, readonly timeoutMs: number) {
    this.#handle = handle;
  }

  get handle(): GroupHandle {
    if (this.#handle === null) throw new Error('distributed: the process group was destroyed');
    return this.#handle;
  }

  get destroyed(): boolean {
    return this.#handle === null;
  }

  destroy(): void {
    if (this.#handle !== null) dist.distDestroyGroup(this.#handle);
    this.#handle = null;
  }
}

let defaultGroup: ProcessGroup | null = null;

function intFrom(value: number | undefined, env: string, what: string): number {
  const raw = value ?? (process.env[env] !== undefined ? Number(process.env[env]) : undefined);
  if (raw === undefined) throw new Error(`initProcessGroup: ${what} not given and $${env} is not set`);
  if (!Number.isInteger(raw) || raw < 0) throw new RangeError(`initProcessGroup: ${what} must be a non-negative integer, got ${value ?? process.env[env]}`);
  return raw;
}

function storeAddress(initMethod: string): { host: string; port: number } {
  let host: string | undefined;
  let port: string | undefined;
  if (initMethod === 'env://') {
    host = process.env.MASTER_ADDR;
    port = process.env.MASTER_PORT;
    if (!host || !port) throw new Error("initProcessGroup: initMethod 'env://' needs $MASTER_ADDR and $MASTER_PORT");
  } else if (initMethod.startsWith('tcp://')) {
    const m = /^tcp:\/\/(\[[^\]]+\]|[^:]+):(\d+)\/?$/.exec(initMethod);
    if (!m) throw new Error(`initProcessGroup: initMethod: expected 'tcp://host:port', got '${initMethod}'`);
    [, host, port] = m;
    host = host!.replace(/^\[|\]$/g, '');
  } else {
    throw new Error(`initProcessGroup: initMethod: expected 'env://' or 'tcp://host:port', got '${initMethod}'`);
  }
  const p = Number(port);
  if (!Number.isInteger(p) || p < 1 || p > 65535) throw new RangeError(`initProcessGroup: store port must be 1..65535, got '${port}'`);
  return { host: host!, port: p };
}

const isLoopback = (host: string): boolean => host === 'localhost' || host.startsWith('127.') || host === '::1';

/**
 * torch.distributed.init_process_group: rendezvous through a TCPStore served by rank 0 and build
 * the default group. Resolves once every rank has joined (rejects after timeoutMs).
 */
export async function initProcessGroup(opts: InitProcessGroupOptions = {}): Promise<ProcessGroup> {
  if (defaultGroup) throw new Error('initProcessGroup: the default process group is already initialized; call destroyProcessGroup() first');
  const backend = opts.backend ?? 'gloo';
  if (backend !== 'gloo' && backend !== 'nccl') throw new Error(`initProcessGroup: backend: expected 'gloo' | 'nccl', got '${String(backend)}'`);
  if (backend === 'nccl' && !dist.distHasNccl) throw new Error("initProcessGroup: backend 'nccl' needs a libtorch built with NCCL (set LIBTORCH to a CUDA build); use 'gloo'");
  const rank = intFrom(opts.rank, 'RANK', 'rank');
  const worldSize = intFrom(opts.worldSize, 'WORLD_SIZE', 'worldSize');
  if (worldSize < 1 || rank >= worldSize) throw new RangeError(`initProcessGroup: rank ${rank} is outside world size ${worldSize}`);
  const timeoutMs = opts.timeoutMs ?? 30 * 60 * 1000;
  if (!(timeoutMs > 0)) throw new RangeError(`initProcessGroup: timeoutMs must be positive, got ${timeoutMs}`);
  const { host, port } = storeAddress(opts.initMethod ?? 'env://');
  const glooInterface = opts.glooInterface ?? process.env.GLOO_SOCKET_IFNAME;
  const handle = await dist.distInitGroup({
    backend, host, port, rank, size: worldSize, timeoutMs,
    ...(glooInterface ? { glooInterface } : isLoopback(host) ? { glooHostname: host === 'localhost' ? '127.0.0.1' : host } : {}),
  });
  defaultGroup = new ProcessGroup(handle, rank, worldSize, backend, timeoutMs);
  return defaultGroup;
}

export const isInitialized = (): boolean => defaultGroup !== null;

/** The default group; throws naming `what` when initProcessGroup has not run. */
export function getDefaultGroup(what = 'distributed'): ProcessGroup {
  if (!defaultGroup) throw new Error(`${what}: the default process group is not initialized; call initProcessGroup() first`);
  return defaultGroup;
}

/** This process's rank in the group; 0 when not distributed (as MMEngine's get_rank). */
export const getRank = (group?: ProcessGroup): number => (group ?? defaultGroup)?.rank ?? 0;
/** The number of processes; 1 when not distributed (as MMEngine's get_world_size). */
export const getWorldSize = (group?: ProcessGroup): number => (group ?? defaultGroup)?.worldSize ?? 1;
/** $LOCAL_RANK (the process's index on its machine); 0 when unset. */
export function getLocalRank(): number {
  const v = Number(process.env.LOCAL_RANK ?? 0);
  return Number.isInteger(v) && v >= 0 ? v : 0;
}

/** Tears down the default group (or `group`); collectives on it fail afterwards. */
export function destroyProcessGroup(group?: ProcessGroup): void {
  const g = group ?? defaultGroup;
  if (!g) return;
  g.destroy();
  if (g === defaultGroup) defaultGroup = null;
}
