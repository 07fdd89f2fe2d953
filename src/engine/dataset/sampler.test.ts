import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BatchSampler } from './batch-sampler.js';
import { DefaultSampler } from './default-sampler.js';
import { InfiniteSampler } from './infinite-sampler.js';
import { SeededRandom } from './random.js';
import { DATA_SAMPLERS } from '../registry/index.js';

const sized = (n: number) => ({ length: n });
const take = <T>(it: Iterable<T>, n: number): T[] => {
  const out: T[] = [];
  if (n <= 0) return out;
  for (const x of it) {
    out.push(x);
    if (out.length === n) break;
  }
  return out;
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (a: number[]) => [...a].sort((x, y) => x - y);

test('SeededRandom: same seed same stream, unbiased bounded integers, valid permutations', () => {
  const a = new SeededRandom(42);
  const b = new SeededRandom(42);
  const xs = range(20).map(() => a.nextUint32());
  assert.deepEqual(xs, range(20).map(() => b.nextUint32()));
  assert.notDeepEqual(xs, range(20).map(() => new SeededRandom(43).nextUint32()));
  const counts = new Array(6).fill(0);
  const r = new SeededRandom(1);
  for (let i = 0; i < 6000; i++) counts[r.randint(6)]++;
  for (const c of counts) assert.ok(c > 850 && c < 1150, `randint(6) counts ${counts}`);
  const u = r.random();
  assert.ok(u >= 0 && u < 1);
  const p = [...new SeededRandom(7).permutation(50)];
  assert.deepEqual(sorted(p), range(50));
  assert.notDeepEqual(p, range(50));
});

test('DefaultSampler without shuffle yields 0..n-1; with shuffle a seeded permutation that changes per epoch', () => {
  assert.deepEqual([...new DefaultSampler({ shuffle: false }, sized(7))], range(7));
  const s = new DefaultSampler({ shuffle: true, seed: 3 }, sized(20));
  const e0 = [...s];
  assert.deepEqual(sorted(e0), range(20));
  assert.deepEqual([...s], e0, 'the same epoch repeats without setEpoch');
  assert.deepEqual([...new DefaultSampler({ seed: 3 }, sized(20))], e0, 'same seed, same order in another instance');
  assert.notDeepEqual([...new DefaultSampler({ seed: 4 }, sized(20))], e0);
  s.setEpoch(1);
  const e1 = [...s];
  assert.deepEqual(sorted(e1), range(20));
  assert.notDeepEqual(e1, e0);
  // MMEngine seeds epoch e with seed + e: epoch 1 of seed 3 is epoch 0 of seed 4.
  assert.deepEqual(e1, [...new DefaultSampler({ seed: 4 }, sized(20))]);
  s.setEpoch(0);
  assert.deepEqual([...s], e0);
});

test('DefaultSampler round_up pads every rank to the same count; without it ranks split exactly', () => {
  const perRank = range(3).map((rank) => [...new DefaultSampler({ shuffle: false }, sized(10), { rank, worldSize: 3 })]);
  assert.deepEqual(perRank, [[0, 3, 6, 9], [1, 4, 7, 0], [2, 5, 8, 1]]);
  const exact = range(3).map((rank) => new DefaultSampler({ shuffle: false, round_up: false }, sized(10), { rank, worldSize: 3 }));
  assert.deepEqual(exact.map((s) => s.length), [4, 3, 3]);
  assert.deepEqual(sorted(exact.flatMap((s) => [...s])), range(10));
  const shuffled = range(2).map((rank) => [...new DefaultSampler({ seed: 9 }, sized(9), { rank, worldSize: 2 })]);
  const all = [...new DefaultSampler({ seed: 9 }, sized(9))];
  assert.deepEqual(shuffled[0], [all[0], all[2], all[4], all[6], all[8]]);
  assert.deepEqual(shuffled[1], [all[1], all[3], all[5], all[7], all[0]]);
  assert.throws(() => new DefaultSampler({}, sized(4), { rank: 2, worldSize: 2 }), /rank must be an integer in 0\.\.1, got 2/);
});

test('BatchSampler keeps or drops the last partial batch', () => {
  const keep = new BatchSampler({ batch_size: 4 }, new DefaultSampler({ shuffle: false }, sized(10)));
  assert.equal(keep.length, 3);
  assert.deepEqual([...keep], [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  const drop = new BatchSampler({ batch_size: 4, drop_last: true }, new DefaultSampler({ shuffle: false }, sized(10)));
  assert.equal(drop.length, 2);
  assert.deepEqual([...drop], [[0, 1, 2, 3], [4, 5, 6, 7]]);
});

test('DefaultSampler resumed mid-epoch gives the same remaining batches, even when built with another seed', () => {
  const reference = new BatchSampler({ batch_size: 3 }, new DefaultSampler({ seed: 11 }, sized(14)));
  reference.sampler.setEpoch!(2);
  const full = [...reference];
  const first = new BatchSampler({ batch_size: 3 }, new DefaultSampler({ seed: 11 }, sized(14)));
  first.sampler.setEpoch!(2);
  assert.deepEqual(take(first, 2), full.slice(0, 2));
  const state = first.stateDict();
  assert.deepEqual(state, { epoch: 2, position: 6, seed: 11 });
  const resumed = new BatchSampler({ batch_size: 3 }, new DefaultSampler({ seed: 999 }, sized(14)));
  resumed.loadStateDict(JSON.parse(JSON.stringify(state)));
  resumed.sampler.setEpoch!(2); // the train loop sets the same epoch again: the position stays
  assert.deepEqual([...resumed], full.slice(2));
  // The next epoch starts from its beginning.
  resumed.sampler.setEpoch!(3);
  reference.sampler.setEpoch!(3);
  assert.deepEqual([...resumed], [...reference]);
  assert.throws(() => resumed.loadStateDict({ epoch: 0, position: 15, seed: 1 }), /'position' must be an integer in 0\.\.14, got 15/);
});

test('InfiniteSampler loops pass after pass, reshuffled each pass, split across ranks, resumable', () => {
  const n = 6;
  const stream = take(new InfiniteSampler({ seed: 5 }, sized(n)), 3 * n);
  for (let p = 0; p < 3; p++) assert.deepEqual(sorted(stream.slice(p * n, (p + 1) * n)), range(n), `pass ${p} is a permutation`);
  assert.notDeepEqual(stream.slice(0, n), stream.slice(n, 2 * n));
  const ordered = take(new InfiniteSampler({ shuffle: false }, sized(4)), 10);
  assert.deepEqual(ordered, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]);
  const ranks = range(2).map((rank) => take(new InfiniteSampler({ seed: 5 }, sized(n), { rank, worldSize: 2 }), 9));
  assert.deepEqual(ranks[0], stream.filter((_, i) => i % 2 === 0));
  assert.deepEqual(ranks[1], stream.filter((_, i) => i % 2 === 1));
  // Iterators continue one another; a reloaded position continues the same stream.
  const s = new InfiniteSampler({ seed: 5 }, sized(n));
  assert.deepEqual([...take(s, 4), ...take(s, 5)], stream.slice(0, 9));
  const resumed = new InfiniteSampler({ seed: 0 }, sized(n));
  resumed.loadStateDict(s.stateDict());
  assert.deepEqual(take(resumed, 9), stream.slice(9, 18));
  assert.equal(new InfiniteSampler({}, sized(n)).length, n);
  assert.throws(() => take(new InfiniteSampler({}, sized(0)), 1), /dataset is empty/);
});

test('samplers are registered under their MMEngine names and validate their options', () => {
  const s = DATA_SAMPLERS.build<DefaultSampler>({ type: 'DefaultSampler', shuffle: false }, { extraArgs: [sized(3)] });
  assert.deepEqual([...s], [0, 1, 2]);
  assert.ok(DATA_SAMPLERS.build({ type: 'InfiniteSampler' }, { extraArgs: [sized(3)] }) instanceof InfiniteSampler);
  assert.throws(() => DATA_SAMPLERS.build({ type: 'DefaultSampler', shufle: true }, { keyPath: ['train_dataloader', 'sampler'], extraArgs: [sized(3)] }),
    /^ConfigError: train_dataloader\.sampler: unknown key 'shufle'$/m);
});
