// The palette MMSeg makes up for classes without one: numpy's RandomState(42).randint(0, 255, (n, 3)), reproduced with MT19937.

/** MT19937 (Matsumoto & Nishimura), seeded as numpy's legacy RandomState(int) seeds it. */
class MT19937 {
  readonly #mt = new Uint32Array(624);
  #index = 624;

  constructor(seed: number) {
    const mt = this.#mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1]! ^ (mt[i - 1]! >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  nextUint32(): number {
    const mt = this.#mt;
    if (this.#index >= 624) {
      for (let i = 0; i < 624; i++) {
        const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % 624]! & 0x7fffffff);
        mt[i] = mt[(i + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.#index = 0;
    }
    let y = mt[this.#index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }
}

/** numpy.random.RandomState(42).randint(0, 255, size=(n, 3)).tolist(): masked rejection sampling of 8 bits. */
export function randomPalette(n: number): number[][] {
  const rng = new MT19937(42);
  const draw = (): number => {
    for (;;) {
      const v = rng.nextUint32() & 255;
      if (v <= 254) return v;
    }
  };
  return Array.from({ length: n }, () => [draw(), draw(), draw()]);
}
