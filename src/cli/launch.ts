// The local launcher behind `segkit train --nproc N` (torchrun's role): spawns one process per
// rank with RANK / WORLD_SIZE / LOCAL_RANK / MASTER_ADDR / MASTER_PORT set, forwards SIGINT and
// SIGTERM, and when a rank dies ends the others and says which rank died, how, and its last stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';

export interface LaunchOptions {
  /** Processes on this machine. */
  nproc: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  /** Default: a free port when nnodes is 1, else 29500 (torchrun's). */
  masterPort?: number;
  /** The script every rank runs (with process.execArgv), and its arguments. */
  script: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** How long ranks get to exit after SIGTERM before SIGKILL (default 10 s). */
  killGraceMs?: number;
  /** Stderr lines kept per rank for the failure report (default 20). */
  tailLines?: number;
  /** Where the launcher's own messages and the ranks' stderr go (default process.stderr). */
  stderr?: { write(text: string): unknown };
}

export interface RankExit {
  rank: number;
  localRank: number;
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** The last stderr lines of this rank. */
  stderrTail: string[];
}

export interface LaunchResult {
  /** What the launcher should exit with: 0, the forwarded signal's 128+n, or 1 when a rank failed. */
  exitCode: number;
  /** The rank that failed first (null when all succeeded or a forwarded signal stopped them). */
  failed: RankExit | null;
  exits: RankExit[];
  masterPort: number;
}

/** A free TCP port on `host` (bound, then released). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

const describeExit = (e: RankExit): string => (e.signal ? `was killed by ${e.signal}` : `exited with code ${e.exitCode}`);

/** One line per failure, then the failed rank's stderr tail. */
export function failureReport(e: RankExit): string {
  const tail = e.stderrTail.length ? `\nlast ${e.stderrTail.length} lines of rank ${e.rank}'s stderr:\n${e.stderrTail.map((l) => `  [rank ${e.rank}] ${l}`).join('\n')}` : `\nrank ${e.rank} wrote nothing to stderr`;
  return `rank ${e.rank} (local rank ${e.localRank}, pid ${e.pid}) ${describeExit(e)}${tail}`;
}

const SIGNAL_CODES: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** Runs the ranks of this node and resolves when all have exited. */
export async function launchLocal(opts: LaunchOptions): Promise<LaunchResult> {
  const nnodes = opts.nnodes ?? 1;
  const nodeRank = opts.nodeRank ?? 0;
  const out = opts.stderr ?? process.stderr;
  const masterAddr = opts.masterAddr ?? '127.0.0.1';
  const masterPort = opts.masterPort ?? (nnodes === 1 ? await freePort(masterAddr === 'localhost' ? '127.0.0.1' : masterAddr) : 29500);
  const worldSize = nnodes * opts.nproc;
  const tailLines = opts.tailLines ?? 20;

  const children: { child: ChildProcess; exit: RankExit; done: boolean }[] = [];
  const failures: { exit: RankExit; byUs: boolean; at: number }[] = [];
  let forwarded: NodeJS.Signals | null = null;
  let terminating = false;
  let killTimer: NodeJS.Timeout | undefined;

  const terminate = (): void => {
    if (terminating) return;
    terminating = true;
    for (const c of children) if (!c.done) c.child.kill('SIGTERM');
    killTimer = setTimeout(() => {
      for (const c of children) if (!c.done) c.child.kill('SIGKILL');
    }, opts.killGraceMs ?? 10_000);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    forwarded = signal;
    for (const c of children) if (!c.done) c.child.kill(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const exited = Array.from({ length: opts.nproc }, (_, localRank) => new Promise<void>((resolve) => {
    const rank = nodeRank * opts.nproc + localRank;
    const env: NodeJS.ProcessEnv = {
      ...process.env, ...opts.env,
      RANK: String(rank), WORLD_SIZE: String(worldSize), LOCAL_RANK: String(localRank), LOCAL_WORLD_SIZE: String(opts.nproc),
      GROUP_RANK: String(nodeRank), MASTER_ADDR: masterAddr, MASTER_PORT: String(masterPort),
      // As torchrun: the ranks share the cores (libtorch threads per rank) unless the user chose.
      OMP_NUM_THREADS: opts.env?.OMP_NUM_THREADS ?? process.env.OMP_NUM_THREADS ?? '1',
      SEGKIT_NUM_THREADS: opts.env?.SEGKIT_NUM_THREADS ?? process.env.SEGKIT_NUM_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / opts.nproc))),
      SEGKIT_LOCAL_LAUNCHER: '1',
    };
    // Own process group: a terminal's Ctrl-C reaches the launcher only, which forwards it once.
    const child = spawn(process.execPath, [...process.execArgv, opts.script, ...opts.args], { env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'], detached: true });
    const entry = { child, done: false, exit: { rank, localRank, pid: child.pid ?? -1, exitCode: null, signal: null, stderrTail: [] } as RankExit };
    children.push(entry);
    let partial = '';
    child.stderr!.on('data', (d: Buffer) => {
      out.write(d.toString());
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop()!;
      entry.exit.stderrTail.push(...lines);
      entry.exit.stderrTail.splice(0, Math.max(0, entry.exit.stderrTail.length - tailLines));
    });
    child.on('error', (err) => {
      entry.exit.stderrTail.push(`cannot start: ${err.message}`);
    });
    child.on('exit', (code, signal) => {
      entry.done = true;
      if (partial) entry.exit.stderrTail.push(partial);
      entry.exit.stderrTail.splice(0, Math.max(0, entry.exit.stderrTail.length - tailLines));
      entry.exit.exitCode = code;
      entry.exit.signal = signal;
      if ((code !== 0 || signal) && forwarded === null) {
        failures.push({ exit: entry.exit, byUs: terminating, at: Date.now() });
        if (!terminating) out.write(`segkit launcher: rank ${rank} ${describeExit(entry.exit)}; ending the other ranks\n`);
        terminate();
      }
      resolve();
    });
  }));
  await Promise.all(exited);
  clearTimeout(killTimer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const exits = children.map((c) => c.exit).sort((a, b) => a.rank - b.rank);
  if (forwarded) {
    const worst = Math.max(...exits.map((e) => e.exitCode ?? 1));
    return { exitCode: worst === 0 ? 0 : SIGNAL_CODES[forwarded] ?? 1, failed: null, exits, masterPort };
  }
  if (failures.length === 0) return { exitCode: 0, failed: null, exits, masterPort };
  // The root cause: among the ranks that failed on their own, one killed by a signal (its peers
  // then fail with connection errors within moments), else the first to exit.
  const own = failures.filter((f) => !f.byUs);
  const first = own[0] ?? failures[0]!;
  const root = own.find((f) => f.exit.signal !== null && f.at - first.at < 2000) ?? first;
  out.write(`segkit launcher: ${failureReport(root.exit)}\n`);
  return { exitCode: 1, failed: root.exit, exits, masterPort };
}

const LAUNCH_FLAGS = new Set(['--nproc', '--nnodes', '--node-rank', '--master-addr', '--master-port', '--launcher']);

/** The command line a rank runs: the launcher's own, less the launch flags, plus `--launcher pytorch`. */
export function rankArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const flag = a.includes('=') ? a.slice(0, a.indexOf('=')) : a;
    if (LAUNCH_FLAGS.has(flag)) {
      if (!a.includes('=')) i++;
      continue;
    }
    out.push(a);
  }
  return [...out, '--launcher', 'pytorch'];
}

/**
 * In a rank started by launchLocal: exit when the launcher goes away (its IPC channel closes), so
 * no rank outlives a launcher killed with SIGKILL. The channel does not keep the rank alive.
 */
export function watchLauncher(): void {
  if (process.env.SEGKIT_LOCAL_LAUNCHER !== '1' || !process.send) return;
  const channel = process.channel as { unref?(): void } | undefined;
  channel?.unref?.();
  process.on('disconnect', () => {
    console.error(`segkit: rank ${process.env.RANK}: the launcher exited; stopping`);
    process.exit(1);
  });
}
