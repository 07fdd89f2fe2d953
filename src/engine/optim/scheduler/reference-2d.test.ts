import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { simulateSchedule, buildParamSchedulers } from './index.js';
import { REFERENCE_2D } from './mmengine-vectors.fixture.js';

/** The repo root (where package.json is), from either src/ or dist/src/. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
  return dir;
}

const SHARED = join(repoRoot(), '..', 'shared', 'reference', '2d_lr_schedule.json');
const lrAt = { ...REFERENCE_2D.lr_at, ...REFERENCE_2D.lr_at_extra } as Record<string, number>;

test('the embedded copy matches shared/reference/2d_lr_schedule.json', { skip: !existsSync(SHARED) && 'shared reference not present' }, () => {
  const ref = JSON.parse(readFileSync(SHARED, 'utf8')) as typeof REFERENCE_2D;
  assert.deepEqual({ base_lr: ref.base_lr, schedulers: ref.schedulers, lr_at: ref.lr_at, lr_at_extra: ref.lr_at_extra }, REFERENCE_2D);
});

test('MMSeg warm-up + poly schedule (LinearLR 1e-6 to 1500, PolyLR to 160000, lr 6e-5) matches MMEngine bit for bit', () => {
  const iters = Object.keys(lrAt).map(Number);
  const [lr] = simulateSchedule(REFERENCE_2D.schedulers, { baseLrs: [REFERENCE_2D.base_lr], iters });
  iters.forEach((it, k) => assert.equal(lr![k], lrAt[String(it)], `iteration ${it}`));
});

test("warm-up reaches the base lr one iteration early (MMEngine's end - begin - 1) and lr ends at 0", () => {
  const [lr] = simulateSchedule(REFERENCE_2D.schedulers, { baseLrs: [6e-5, 6e-6], iters: [1498, 1499, 1500, 159999, 170000] });
  assert.ok(lr![0]! < 6e-5 && Math.abs(lr![1]! - 6e-5) < 1e-18 && lr![2] === lr![1], `${lr}`);
  assert.deepEqual(lr!.slice(3), [0, 0]);
});

test('the reference closed form agrees with the stepped schedule everywhere (rel 1e-11)', () => {
  const iters = Array.from({ length: 1600 }, (_, i) => i).concat([5000, 80000, 159998]);
  const o = { paramGroups: [{ lr: 6e-5 }] };
  const schedulers = buildParamSchedulers(REFERENCE_2D.schedulers, o);
  const want = new Set(iters);
  for (let i = 0; i <= 159998; i++) {
    if (want.has(i)) {
      const closed = i < 1500 ? 6e-5 * (1e-6 + ((1 - 1e-6) * Math.min(i, 1499)) / 1499) : 6e-5 * (1 - (i - 1500) / 158499);
      const lr = o.paramGroups[0]!.lr;
      assert.ok(Math.abs(lr - closed) <= 1e-11 * closed, `iteration ${i}: ${lr} vs ${closed}`);
    }
    for (const s of schedulers) s.step();
  }
});
