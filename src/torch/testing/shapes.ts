// Procedural segmentation scenes for tests, benchmarks and the demo: filled discs and
// boxes of several classes over a noisy background, labels exact, fully seeded.
import { tensor } from '../creation.js';
import type { Tensor } from '../tensor.js';

/** Mulberry32: a tiny seeded PRNG, so scenes do not depend on libtorch's generator. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface ShapesBatch {
  /** float32 [N, 3, H, W], roughly zero-mean. */
  images: Tensor;
  /** int64 [N, H, W] in 0..numClasses-1 (0 = background). */
  labels: Tensor;
}

/** Class colours (RGB in 0..1); class 0 is the background. */
const COLORS = [[0.5, 0.5, 0.5], [0.9, 0.2, 0.2], [0.2, 0.8, 0.3], [0.2, 0.3, 0.9], [0.9, 0.8, 0.2], [0.8, 0.3, 0.8], [0.2, 0.8, 0.8], [1, 1, 1]];

export function makeShapesBatch(batch: number, size: number, numClasses: number, seed: number): ShapesBatch {
  if (numClasses < 2 || numClasses > COLORS.length) throw new RangeError(`makeShapesBatch: numClasses must be 2..${COLORS.length}, got ${numClasses}`);
  const rand = seededRandom(seed);
  const hw = size * size;
  const img = new Float32Array(batch * 3 * hw);
  const lab = new BigInt64Array(batch * hw);
  for (let n = 0; n < batch; n++) {
    const cls = new Uint8Array(hw);
    const shapes = 2 + Math.floor(rand() * 3);
    for (let s = 0; s < shapes; s++) {
      const c = 1 + Math.floor(rand() * (numClasses - 1));
      const cx = rand() * size;
      const cy = rand() * size;
      const r = size * (0.1 + rand() * 0.2);
      const disc = rand() < 0.5;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const inside = disc ? (x - cx) ** 2 + (y - cy) ** 2 <= r * r : Math.abs(x - cx) <= r && Math.abs(y - cy) <= r * 0.7;
          if (inside) cls[y * size + x] = c;
        }
      }
    }
    for (let i = 0; i < hw; i++) {
      const color = COLORS[cls[i]!]!;
      for (let ch = 0; ch < 3; ch++) img[(n * 3 + ch) * hw + i] = color[ch]! - 0.5 + (rand() - 0.5) * 0.6;
      lab[n * hw + i] = BigInt(cls[i]!);
    }
  }
  return {
    images: tensor(img, { shape: [batch, 3, size, size] }),
    labels: tensor(lab, { shape: [batch, size, size] }),
  };
}
