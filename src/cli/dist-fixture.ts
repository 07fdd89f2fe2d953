// Test-only hooks for the distributed launcher tests (loaded through a config's custom_imports):
// DumpWeightsHook writes each rank's final weights; KillRankHook makes one rank die by SIGKILL.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hook, HOOKS, type Runner } from '../engine/index.js';

export class DumpWeightsHook extends Hook {
  override afterRun(runner: Runner): void {
    const weights = Object.fromEntries([...runner.model.stateDict()].map(([k, v]) => [k, v.toArray()]));
    writeFileSync(join(runner.workDir, `weights_rank${runner.rank}.json`), JSON.stringify({ rank: runner.rank, worldSize: runner.worldSize, weights }));
  }
}
HOOKS.register(DumpWeightsHook);

export class KillRankHook extends Hook {
  readonly rank: number;
  readonly iter: number;
  constructor(options: { rank?: number; iter?: number } = {}) {
    super();
    this.rank = options.rank ?? 1;
    this.iter = options.iter ?? 3;
  }
  override beforeTrainIter(runner: Runner): void {
    if (runner.rank === this.rank && runner.iter === this.iter) process.kill(process.pid, 'SIGKILL');
  }
}
HOOKS.register(KillRankHook);
