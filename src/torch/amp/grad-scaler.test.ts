// Tests for GradScaler against hand-computed values of PyTorch 1.13's dynamic loss scaling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tensor, tensor, tidy, keep, noGrad, full, native } from '../index.js';
import { GradScaler, type ScalableOptimizer } from './grad-scaler.js';

/** A plain SGD over the given params that counts its steps. */
class FakeSGD implements ScalableOptimizer {
  paramGroups: { params: Tensor[] }[];
  steps = 0;
  constructor(params: Tensor[], readonly lr = 0.1) {
    this.paramGroups = [{ params }];
  }
  step(): void {
    this.steps += 1;
    noGrad(() => tidy(() => {
      for (const p of this.paramGroups[0]!.params) {
        const g = p.grad;
        if (g !== null) p.sub_(g.mul(this.lr));
      }
    }));
  }
}

const param = (values: number[], dtype: 'float32' | 'float64' = 'float32'): Tensor =>
  keep(tensor(values, { dtype }).requiresGrad_());
/** Sets p.grad to the given values. */
const setGrad = (p: Tensor, values: number[]): void => tidy(() => {
  p.grad = tensor(values, { dtype: p.dtype });
});

/** One iteration: loss = sum(p * coef), scaled backward, step, update. Returns whether it stepped. */
function iteration(scaler: GradScaler, opt: FakeSGD, p: Tensor, coef: number[]): boolean {
  return tidy(() => {
    p.grad = null;
    scaler.scale(p.mul(tensor(coef)).sum()).backward();
    const stepped = scaler.step(opt);
    scaler.update();
    return stepped;
  });
}

test('scale(loss) multiplies by 65536 and returns a float32 tensor of shape [1], as PyTorch', () => tidy(() => {
  const scaler = new GradScaler();
  assert.equal(scaler.getScale(), 65536);
  const scaled = scaler.scale(tensor(1.5));
  assert.deepEqual(scaled.shape, [1]);
  assert.deepEqual(scaled.toArray(), [98304]);
  // A bfloat16 loss is promoted to float32 by the float32 scale.
  const fromBf16 = scaler.scale(tensor(0.25).to('bfloat16'));
  assert.equal(fromBf16.dtype, 'float32');
  assert.deepEqual(fromBf16.toArray(), [16384]);
  const [a, [b]] = scaler.scale([tensor([1, 2]), [tensor(3)]] as const) as unknown as [Tensor, [Tensor]];
  assert.deepEqual([a.toArray(), b.toArray()], [[65536, 131072], [196608]]);
  scaler.dispose();
}));

test('step unscales the grads, steps the optimizer, and update counts a clean step', () => tidy(() => {
  const p = param([1, 2]);
  const opt = new FakeSGD([p], 0.5);
  const scaler = new GradScaler();
  scaler.scale(p.mul(tensor([3, 4])).sum()).backward();
  assert.deepEqual(p.grad!.toArray(), [3 * 65536, 4 * 65536]);
  assert.equal(scaler.step(opt), true);
  assert.deepEqual(p.grad!.toArray(), [3, 4]);
  assert.deepEqual(p.toArray(), [1 - 1.5, 2 - 2]);
  scaler.update();
  assert.equal(scaler.getScale(), 65536);
  assert.equal(scaler.getGrowthTracker(), 1);
  scaler.dispose();
}));

test('unscale_ divides grads in place (non-power-of-two scale) and step does not divide again', () => tidy(() => {
  const p = param([0, 0]);
  const opt = new FakeSGD([p], 1);
  const scaler = new GradScaler({ initScale: 3 });
  scaler.scale(tensor(1));
  setGrad(p, [3, -6]);
  scaler.unscale_(opt);
  const inv = Math.fround(1 / 3);
  assert.deepEqual(p.grad!.toArray(), [Math.fround(3 * inv), Math.fround(-6 * inv)]);
  assert.equal(scaler.step(opt), true);
  assert.deepEqual(p.grad!.toArray(), [Math.fround(3 * inv), Math.fround(-6 * inv)]);
  assert.equal(opt.steps, 1);
  scaler.dispose();
}));

test('an inf grad skips the step (params unchanged), halves the scale and resets the tracker', () => tidy(() => {
  const p = param([1, 2]);
  const opt = new FakeSGD([p]);
  const scaler = new GradScaler();
  assert.equal(iteration(scaler, opt, p, [1, 1]), true);
  assert.equal(scaler.getGrowthTracker(), 1);
  const before = p.toArray();
  scaler.scale(tensor(1));
  setGrad(p, [Infinity, 1]);
  assert.equal(scaler.step(opt), false);
  assert.deepEqual(p.toArray(), before);
  assert.equal(opt.steps, 1);
  scaler.update();
  assert.equal(scaler.getScale(), 32768);
  assert.equal(scaler.getGrowthTracker(), 0);
  scaler.dispose();
}));

test('a NaN grad in a second param group also skips the step', () => tidy(() => {
  const p = param([1]);
  const q = param([5, 6, 7]);
  const opt = new FakeSGD([p]);
  opt.paramGroups.push({ params: [q] });
  const scaler = new GradScaler({ initScale: 8 });
  scaler.scale(tensor(1));
  setGrad(p, [8]);
  setGrad(q, [0, NaN, 8]);
  assert.equal(scaler.step(opt), false);
  assert.equal(opt.steps, 0);
  assert.deepEqual(p.grad!.toArray(), [1]);
  scaler.update();
  assert.equal(scaler.getScale(), 4);
}));

test('huge finite grads are not mistaken for overflow', () => tidy(() => {
  const p = param([0, 0, 0]);
  const opt = new FakeSGD([p]);
  const scaler = new GradScaler({ initScale: 1 });
  scaler.scale(tensor(1));
  setGrad(p, [3e38, 3e38, -3e38]);
  assert.equal(scaler.step(opt), true);
}));

test('one inf/-inf/NaN anywhere in a large or non-contiguous grad is found, finite grads are unscaled', () => {
  // Lengths around the vector width and its tails, where a vectorised reduction could drop an element.
  for (const n of [1, 15, 17, 4099]) {
    for (const pos of new Set([0, Math.floor(n / 2), n - 1])) {
      for (const bad of [Infinity, -Infinity, NaN]) {
        tidy(() => {
          const p = keep(full([n], 0, { dtype: 'float32' }).requiresGrad_());
          const opt = new FakeSGD([p]);
          const scaler = new GradScaler({ initScale: 4 });
          scaler.scale(tensor(1));
          const values = Array.from({ length: n }, (_, i) => (i % 7) - 3);
          values[pos] = bad;
          setGrad(p, values);
          assert.equal(scaler.step(opt), false, `n ${n}, ${bad} at ${pos}`);
          scaler.update();
          assert.equal(scaler.getScale(), 2);
          scaler.dispose();
        });
      }
    }
  }
  tidy(() => {
    const p = keep(full([67, 64], 0, { dtype: 'float32' }).requiresGrad_());
    const opt = new FakeSGD([p], 1);
    const scaler = new GradScaler({ initScale: 4 });
    scaler.scale(tensor(1));
    const values = Array.from({ length: 64 * 67 }, (_, i) => (i % 5) * 4);
    p.grad = tensor(values, { dtype: 'float32' }).reshape(64, 67).transpose(0, 1);
    assert.equal(p.grad.isContiguous(), false);
    assert.equal(scaler.step(opt), true);
    // Unscaled by 1/4, then one SGD step with lr 1.
    assert.deepEqual(p.sum().item(), -values.reduce((a, b) => a + b, 0) / 4);
    p.grad = tensor(values.map((v, i) => (i === 64 * 67 - 70 ? NaN : v)), { dtype: 'float32' }).reshape(64, 67).transpose(0, 1);
    scaler.update();
    scaler.scale(tensor(1));
    assert.equal(scaler.step(opt), false);
    scaler.dispose();
  });
});

test('growth doubles the scale after growthInterval clean steps (growthInterval 3)', () => tidy(() => {
  const p = param([1, 1]);
  const opt = new FakeSGD([p], 0.01);
  const scaler = new GradScaler({ growthInterval: 3 });
  const seen: [number, number][] = [];
  for (let i = 0; i < 4; i++) {
    iteration(scaler, opt, p, [1, 2]);
    seen.push([scaler.getScale(), scaler.getGrowthTracker()]);
  }
  assert.deepEqual(seen, [[65536, 1], [65536, 2], [131072, 0], [131072, 1]]);
  assert.equal(opt.steps, 4);
  // Grads were unscaled by the scale of their own iteration.
  assert.deepEqual(p.grad!.toArray(), [1, 2]);
}));

test('growth stops at the float32 range instead of reaching inf', () => tidy(() => {
  const p = param([1]);
  const scaler = new GradScaler({ initScale: 2 ** 127, growthInterval: 1 });
  iteration(scaler, new FakeSGD([p]), p, [1e-30]);
  assert.equal(scaler.getScale(), 2 ** 127);
  assert.equal(scaler.getGrowthTracker(), 0);
}));

test('stateDict has PyTorch keys and loadStateDict round-trips it', () => tidy(() => {
  const fresh = new GradScaler();
  assert.deepEqual(fresh.stateDict(), { scale: 65536, growth_factor: 2, backoff_factor: 0.5, growth_interval: 2000, _growth_tracker: 0 });
  const p = param([1, 1]);
  const opt = new FakeSGD([p]);
  const scaler = new GradScaler({ initScale: 1024, growthFactor: 4, backoffFactor: 0.25, growthInterval: 5 });
  iteration(scaler, opt, p, [1, 1]);
  iteration(scaler, opt, p, [1, 1]);
  const sd = scaler.stateDict();
  assert.deepEqual(sd, { scale: 1024, growth_factor: 4, backoff_factor: 0.25, growth_interval: 5, _growth_tracker: 2 });
  const other = new GradScaler();
  other.loadStateDict(JSON.parse(JSON.stringify(sd)));
  assert.deepEqual(other.stateDict(), sd);
  // The loaded tracker carries on: three more clean steps reach growthInterval 5.
  const q = param([1, 1]);
  const optQ = new FakeSGD([q]);
  for (let i = 0; i < 3; i++) iteration(other, optQ, q, [1, 1]);
  assert.deepEqual([other.getScale(), other.getGrowthTracker()], [4096, 0]);
  // Loading into a running scaler replaces its live values too.
  other.loadStateDict(sd);
  assert.deepEqual(other.stateDict(), sd);
  assert.throws(() => other.loadStateDict({}), /state dict is empty/);
  assert.throws(() => other.loadStateDict({ ...sd, scale: undefined } as never), /'scale' must be a number/);
}));

test('unscale_ twice, unscale_ after step and step twice raise, as PyTorch', () => tidy(() => {
  const p = param([1]);
  const opt = new FakeSGD([p]);
  const scaler = new GradScaler();
  assert.throws(() => scaler.unscale_(opt), /before any scale\(\) call/);
  scaler.scale(p.sum()).backward();
  scaler.unscale_(opt);
  assert.throws(() => scaler.unscale_(opt), /unscale_\(\) has already been called on this optimizer since the last update\(\)/);
  scaler.step(opt);
  assert.throws(() => scaler.unscale_(opt), /unscale_\(\) is being called after step\(\)/);
  assert.throws(() => scaler.step(opt), /step\(\) has already been called since the last update\(\)/);
  scaler.update();
  // After update() the optimizer is ready again.
  scaler.unscale_(opt);
}));

test('update needs inf checks, and step needs a grad', () => tidy(() => {
  const p = param([1]);
  const scaler = new GradScaler();
  scaler.scale(tensor(1));
  assert.throws(() => scaler.update(), /no inf checks were recorded prior to update/);
  assert.throws(() => scaler.step(new FakeSGD([p])), /no inf checks were recorded for this optimizer/);
}));

test('float16 grads are refused, float64 grads are unscaled', () => tidy(() => {
  const scaler = new GradScaler({ initScale: 4 });
  scaler.scale(tensor(1));
  const h = keep(tensor([1], { dtype: 'float16' }).requiresGrad_());
  setGrad(h, [1]);
  assert.throws(() => scaler.unscale_(new FakeSGD([h])), /attempting to unscale float16 gradients/);
  const d = param([1, 2], 'float64');
  const f = param([3]);
  setGrad(d, [4, 1e300]);
  setGrad(f, [8]);
  const opt = new FakeSGD([d, f]);
  assert.equal(scaler.step(opt), true);
  assert.deepEqual(d.grad!.toArray(), [1, 0.25e300]);
  assert.deepEqual(f.grad!.toArray(), [2]);
}));

test('an inf in one optimizer skips only that one, and update backs off', () => tidy(() => {
  const p = param([1]);
  const q = param([1]);
  const a = new FakeSGD([p]);
  const b = new FakeSGD([q]);
  const scaler = new GradScaler({ initScale: 16 });
  scaler.scale(tensor(1));
  setGrad(p, [16]);
  setGrad(q, [-Infinity]);
  assert.equal(scaler.step(a), true);
  assert.equal(scaler.step(b), false);
  assert.deepEqual([a.steps, b.steps], [1, 0]);
  scaler.update();
  assert.equal(scaler.getScale(), 8);
}));

test('update(newScale) sets the scale; dynamic: false keeps it fixed but still skips inf steps', () => tidy(() => {
  const p = param([1]);
  const opt = new FakeSGD([p]);
  const scaler = new GradScaler({ initScale: 512, dynamic: false, growthInterval: 1 });
  assert.equal(scaler.isDynamic(), false);
  iteration(scaler, opt, p, [1]);
  assert.equal(scaler.getScale(), 512);
  scaler.scale(tensor(1));
  setGrad(p, [NaN]);
  assert.equal(scaler.step(opt), false);
  scaler.update();
  assert.equal(scaler.getScale(), 512);
  assert.equal(scaler.getGrowthTracker(), 0);
  scaler.update(100);
  assert.equal(scaler.getScale(), 100);
  assert.deepEqual(scaler.scale(tensor(2)).toArray(), [200]);
  scaler.update(full([1], 0.5));
  assert.equal(scaler.getScale(), 0.5);
  assert.throws(() => scaler.update(-1), /newScale must be a finite number > 0/);
  assert.throws(() => scaler.update(tensor([1, 2])), /1-element float32 tensor/);
}));

test('a disabled scaler is a pass-through', () => tidy(() => {
  const p = param([1]);
  const opt = new FakeSGD([p], 1);
  const scaler = new GradScaler({ enabled: false });
  const loss = p.mul(3).sum();
  assert.equal(scaler.scale(loss), loss);
  loss.backward();
  scaler.unscale_(opt);
  assert.deepEqual(p.grad!.toArray(), [3]);
  assert.equal(scaler.step(opt), true);
  assert.deepEqual(p.toArray(), [-2]);
  scaler.update();
  assert.equal(scaler.getScale(), 1);
  assert.deepEqual(scaler.stateDict(), {});
  scaler.loadStateDict({});
}));

test('options are validated', () => {
  assert.throws(() => new GradScaler({ growthFactor: 1 }), /growthFactor must be > 1 \(got 1\)/);
  assert.throws(() => new GradScaler({ backoffFactor: 1.5 }), /backoffFactor must be < 1 \(got 1.5\)/);
  assert.throws(() => new GradScaler({ growthInterval: 2.5 }), /growthInterval must be a positive integer/);
  assert.throws(() => new GradScaler({ initScale: 0 }), /initScale must be a finite number > 0/);
});

test('iterations leave no tensors behind, and dispose() frees the scale copies', () => {
  const p = param([1, 2]);
  const opt = new FakeSGD([p], 0.01);
  const scaler = new GradScaler({ growthInterval: 2 });
  const before = native.liveHandles();
  for (let i = 0; i < 2; i++) iteration(scaler, opt, p, [1, 1]);
  const warm = native.liveHandles();
  for (let i = 0; i < 5; i++) {
    iteration(scaler, opt, p, [1, 1]);
    tidy(() => {
      scaler.scale(tensor(1));
      setGrad(p, [Infinity, 0]);
      scaler.unscale_(opt);
      scaler.step(opt);
      scaler.update();
    });
  }
  assert.equal(native.liveHandles(), warm);
  scaler.dispose();
  assert.equal(native.liveHandles(), before);
});
