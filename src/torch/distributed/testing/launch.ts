// Test harness: forks `worldSize` node processes of a worker script on 127.0.0.1 with the
// torchrun-style environment (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) and
// collects what each reports back over IPC.
import { fork } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface WorkerOutcome {
  rank: number;
  /** What the worker passed to reportResult (undefined if it never did). */
  result: unknown;
  /** The message of the error the worker reported or died with. */
  error?: string;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Milliseconds from launch to exit. */
  elapsedMs: number;
}

export interface RunWorkersOptions {
  /** Extra environment for every rank (scenario names, timeouts). */
  env?: Record<string, string>;
  /** Kill every worker still running after this long (default 25 s). */
  killAfterMs?: number;
}

/** Runs `script` (a compiled .js path) once per rank and resolves when all have exited. */
export async function runWorkers(script: string, worldSize: number, opts: RunWorkersOptions = {}): Promise<WorkerOutcome[]> {
  const port = await freePort();
  const start = Date.now();
  const runs = Array.from({ length: worldSize }, (_, rank) => new Promise<WorkerOutcome>((resolve) => {
    const child = fork(script, [], {
      env: {
        ...process.env, ...opts.env, OMP_NUM_THREADS: '1',
        RANK: String(rank), WORLD_SIZE: String(worldSize), LOCAL_RANK: String(rank),
        MASTER_ADDR: '127.0.0.1', MASTER_PORT: String(port),
      },
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    let result: unknown;
    let error: string | undefined;
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('message', (m: { result?: unknown; error?: string }) => {
      if ('error' in m) error = m.error;
      else result = m.result;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 25_000);
    child.on('exit', (exitCode, signal) => {
      clearTimeout(timer);
      if (error === undefined && exitCode !== 0) error = stderr.trim().split('\n').slice(-3).join('\n') || `exited with ${exitCode ?? signal}`;
      resolve({ rank, result, error, exitCode, signal, elapsedMs: Date.now() - start });
    });
  }));
  return Promise.all(runs);
}

/** Worker side: sends `value` to the test process. */
export function reportResult(value: unknown): Promise<void> {
  return new Promise((resolve, reject) => {
    if (!process.send) return reject(new Error('reportResult: not running under runWorkers (no IPC channel)'));
    process.send({ result: value }, (err: Error | null) => (err ? reject(err) : resolve()));
  });
}

/** Worker side: runs `main`, reports its error message, and exits 0 or 1. */
export function workerMain(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      process.send?.({ error: message }, () => process.exit(1));
      if (!process.send) process.exit(1);
    },
  );
}
