// Helpers shared by the scheduler tests: Python-like dummy optimizers and a stepping recorder.
import assert from 'node:assert/strict';
import type { OptimizerLike, ParamScheduler } from './param-scheduler.js';

/** An SGD-like optimizer: groups with lr (and momentum), defaults as torch.optim keeps them. */
export function sgdLike(lrs: number[], momentum?: number): OptimizerLike {
  const defaults: Record<string, unknown> = { lr: lrs[0], ...(momentum === undefined ? {} : { momentum }) };
  return { defaults, paramGroups: lrs.map((lr) => ({ ...defaults, lr })) };
}

/** An Adam-like optimizer: momentum lives in betas[0]. */
export function adamLike(lrs: number[]): OptimizerLike {
  const defaults = { lr: lrs[0], betas: [0.9, 0.999] };
  return { defaults, paramGroups: lrs.map((lr) => ({ ...defaults, betas: [0.9, 0.999], lr })) };
}

/** Values of `key` after construction, then after each of `steps` rounds of stepping every scheduler in order. */
export function record(optimizer: OptimizerLike, schedulers: ParamScheduler[], steps: number, key = 'lr'): unknown[][] {
  const read = (): unknown[] => optimizer.paramGroups.map((g) => (Array.isArray(g[key]) ? [...(g[key] as number[])] : g[key]));
  const rows = [read()];
  for (let i = 0; i < steps; i++) {
    for (const s of schedulers) s.step();
    rows.push(read());
  }
  return rows;
}

/** Deep equality of numbers, exact unless `rel` allows a relative difference (for cos from another libm). */
export function assertValues(actual: unknown, expected: unknown, rel = 0, where = ''): void {
  if (Array.isArray(expected)) {
    assert.ok(Array.isArray(actual), `${where}: expected a list, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, expected.length, `${where}: length`);
    expected.forEach((e, i) => assertValues((actual as unknown[])[i], e, rel, `${where}[${i}]`));
    return;
  }
  const a = actual as number;
  const e = expected as number;
  if (rel === 0) assert.equal(a, e, `${where}: got ${a}, MMEngine ${e}`);
  else assert.ok(Math.abs(a - e) <= rel * Math.max(Math.abs(e), 1e-300), `${where}: got ${a}, MMEngine ${e} (rel tol ${rel})`);
}
