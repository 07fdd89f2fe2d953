import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as T from './index.js';

const live = (): number => T.native.liveHandles();

test('tidy disposes every tensor made inside except the returned ones', () => {
  const before = live();
  const kept = T.tidy(() => {
    const a = T.ones([100]);
    const b = a.mul(2).add(1);
    b.sum();
    return { b, list: [a.neg()] };
  });
  assert.equal(live(), before + 2);
  assert.deepEqual(kept.b.toArray().slice(0, 2), [3, 3]);
  T.dispose(kept);
  assert.equal(live(), before);
});

test('nested scopes hand returned tensors to the parent; keep() exempts', () => {
  const before = live();
  let inner: T.Tensor | undefined;
  let kept: T.Tensor | undefined;
  T.tidy(() => {
    inner = T.tidy(() => T.ones([2]).mul(5));
    kept = T.keep(T.zeros([3]));
    assert.equal(inner.isDisposed, false);
  });
  assert.equal(inner!.isDisposed, true);
  assert.equal(kept!.isDisposed, false);
  kept!.dispose();
  assert.equal(live(), before);
});

test('a throwing scope still disposes and closes', () => {
  const before = live();
  assert.throws(() => T.tidy(() => {
    T.ones([4]);
    throw new Error('boom');
  }), /boom/);
  assert.equal(live(), before);
  assert.equal(T.scopeDepth(), 0);
});

test('tidyAsync tracks tensors across awaits', async () => {
  const before = live();
  const r = await T.tidyAsync(async () => {
    const a = T.ones([3]);
    await T.yieldToEventLoop();
    return a.add(1);
  });
  assert.equal(live(), before + 1);
  r.dispose();
});

test('runSteps yields to the event loop each step and leaks no tensor', async () => {
  const w = T.keep(T.randn([8, 8], { requiresGrad: true }));
  const before = live();
  let timerFired = 0;
  const timer = setInterval(() => timerFired++, 0);
  const losses: number[] = [];
  await T.runSteps(50, () => {
    const loss = w.matmul(w).square().mean();
    loss.backward();
    T.noGrad(() => {
      const g = w.grad!;
      w.sub_(g, 0.01);
    });
    w.grad = null;
    return loss;
  }, (loss) => { losses.push(loss.item()); });
  clearInterval(timer);
  assert.ok(timerFired > 5, `timers ran ${timerFired} times`);
  assert.equal(live(), before);
  assert.ok(losses[49]! < losses[0]!);
});

test('only tensors left to the garbage collector report their bytes to V8', () => {
  const reported = (): number => T.native.reportedBytes();
  const before = reported();
  const MB = 1 << 20;
  let k: T.Tensor | undefined;
  const escaped = T.tidy(() => {
    T.zeros([MB / 4]); // float32, 1 MiB, disposed by the scope
    assert.equal(reported() - before, 0, 'a tensor inside a scope is not reported');
    k = T.keep(T.zeros([MB / 4]));
    assert.equal(reported() - before, MB, 'keep() reports it');
    return T.tidy(() => T.zeros([MB / 2]));
  });
  assert.equal(reported() - before, 3 * MB, 'a tensor returned from the outermost scope is reported');
  const outside = T.zeros([MB / 4]);
  assert.equal(reported() - before, 4 * MB, 'a tensor made outside any scope is reported');
  for (const t of [k!, escaped, outside]) t.dispose();
  assert.equal(reported() - before, 0, 'dispose() takes the bytes back');
});
