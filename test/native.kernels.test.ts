/**
 * The native addon's building blocks: vectorised exp/tanh/sigmoid against Math.* over the whole float
 * range (both the AVX2/FMA and the portable implementation), the blocked sgemm against a plain float64
 * product (every transpose, odd sizes, strides, alpha/beta, 1 and 2 threads), and argument checking.
 * Fails (does not skip) when the addon is not built.
 *   npx tsc -p . && node --test dist/test/native.kernels.test.js
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadNativeAddon, type NativeAddon } from '../src/trainer/engines/native/index.js';
import { Rng } from '../src/trainer/random.js';

function addon(): NativeAddon {
  const loaded = loadNativeAddon();
  if ('error' in loaded) assert.fail(`the native addon must be built for these tests: ${loaded.error}`);
  return loaded.addon;
}

/** Spacing of float32 numbers at |v| (subnormal spacing below 2^-126). */
function ulp(v: number): number {
  const a = Math.abs(v);
  if (a < 2 ** -126) return 2 ** -149;
  return 2 ** (Math.floor(Math.log2(a)) - 23);
}

const REFERENCE: Record<'exp' | 'tanh' | 'sigmoid', (x: number) => number> = {
  exp: Math.exp,
  tanh: Math.tanh,
  sigmoid: (x) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x))),
};

/** Random bit patterns (every exponent), a dense sweep of the interesting range, and edge values. */
function mathInputs(): Float32Array {
  const rng = new Rng(11);
  const bits = new Uint32Array(100_000);
  for (let i = 0; i < bits.length; i++) bits[i] = rng.nextU32();
  const values = Array.from(new Float32Array(bits.buffer)).filter(Number.isFinite);
  for (let x = -110; x <= 100; x += 0.0037) values.push(x);
  values.push(
    0,
    -0,
    1e-45,
    -1e-45,
    1e-38,
    3.4e38,
    -3.4e38,
    88.72,
    88.73,
    89,
    -87.33,
    -103.97,
    -104,
    -150,
    0.625,
    -0.625,
  );
  return Float32Array.from(values);
}

const implementations = (a: NativeAddon): ('portable' | 'avx2-fma' | 'avx512')[] => [
  ...(a.info().cpuHasAvx512 ? (['avx512'] as const) : []),
  ...(a.info().cpuHasAvx2Fma ? (['avx2-fma'] as const) : []),
  'portable' as const,
];

describe('native vectorised maths', () => {
  it('exp, tanh and sigmoid are within 3 ulp of Math.* over the whole float range', () => {
    const a = addon();
    const src = mathInputs();
    const dst = new Float32Array(src.length);
    for (const impl of implementations(a)) {
      for (const fn of ['exp', 'tanh', 'sigmoid'] as const) {
        a.mathApply(fn, impl, src, dst);
        let worst = 0;
        let worstAt = 0;
        for (let i = 0; i < src.length; i++) {
          const exact = REFERENCE[fn](src[i]!);
          const rounded = Math.fround(exact);
          if (!Number.isFinite(rounded)) {
            assert.equal(dst[i], rounded, `${impl} ${fn}(${src[i]}) must overflow to ${rounded}`);
            continue;
          }
          const err = Math.abs(dst[i]! - exact) / ulp(rounded);
          if (err > worst) [worst, worstAt] = [err, src[i]!];
        }
        assert.ok(worst <= 3, `${impl} ${fn}: ${worst.toFixed(2)} ulp at x = ${worstAt}`);
      }
    }
  });

  it('NaN stays NaN and the infinities give the limits', () => {
    const a = addon();
    const src = new Float32Array([NaN, Infinity, -Infinity, 200, -200]);
    const dst = new Float32Array(src.length);
    const want = { exp: [NaN, Infinity, 0, Infinity, 0], tanh: [NaN, 1, -1, 1, -1], sigmoid: [NaN, 1, 0, 1, 0] };
    for (const impl of implementations(a)) {
      for (const fn of ['exp', 'tanh', 'sigmoid'] as const) {
        a.mathApply(fn, impl, src, dst);
        assert.deepEqual(Array.from(dst), want[fn], `${impl} ${fn}`);
      }
    }
  });

  it('handles lengths that are not a multiple of the vector width, in place', () => {
    const a = addon();
    for (const n of [0, 1, 7, 9, 17]) {
      const v = Float32Array.from({ length: n }, (_, i) => i - 3);
      a.mathApply('tanh', 'auto', v, v);
      for (let i = 0; i < n; i++) assert.ok(Math.abs(v[i]! - Math.tanh(i - 3)) < 1e-6);
    }
  });
});

/** float64 C = alpha op(A) op(B) + beta C. */
function referenceGemm(
  ta: boolean,
  tb: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  A: Float32Array,
  lda: number,
  B: Float32Array,
  ldb: number,
  beta: number,
  C: Float32Array,
  ldc: number,
): Float64Array {
  const out = Float64Array.from(C);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++)
        s += (ta ? A[k * lda + i]! : A[i * lda + k]!) * (tb ? B[j * ldb + k]! : B[k * ldb + j]!);
      out[i * ldc + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * ldc + j]!);
    }
  }
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('native sgemm', () => {
  it('matches a float64 product for every transpose, odd sizes, strides, alpha and beta', () => {
    const a = addon();
    const rng = new Rng(5);
    const fill = (n: number) => Float32Array.from({ length: n }, () => rng.range(-1, 1));
    const shapes = [
      [1, 1, 1],
      [7, 19, 5],
      [13, 33, 300],
      [100, 40, 260],
      [6, 16, 0],
    ];
    for (const [M, N, K] of shapes as [number, number, number][]) {
      for (const ta of [false, true]) {
        for (const tb of [false, true]) {
          for (const [alpha, beta] of [
            [1, 0],
            [0.5, 1],
            [-2, 0.25],
          ]) {
            const lda = (ta ? M : K) + 3;
            const ldb = (tb ? K : N) + 1;
            const ldc = N + 2;
            const A = fill((ta ? K : M) * lda);
            const B = fill((tb ? N : K) * ldb);
            const C0 = fill(M * ldc);
            const want = referenceGemm(ta, tb, M, N, K, alpha!, A, lda, B, ldb, beta!, C0, ldc);
            const results: Float32Array[] = [];
            for (const threads of [1, 2]) {
              const C = Float32Array.from(C0);
              a.sgemm(ta, tb, M, N, K, alpha!, A, lda, B, ldb, beta!, C, ldc, threads);
              for (let i = 0; i < C.length; i++) {
                const tol = 1e-5 * (Math.sqrt(K) + 1) * (Math.abs(alpha!) + 1);
                assert.ok(Math.abs(C[i]! - want[i]!) <= tol, `M${M} N${N} K${K} ta${ta} tb${tb} [${i}]`);
              }
              results.push(C);
            }
            assert.deepEqual(results[0], results[1], 'thread count must not change the bits');
          }
        }
      }
    }
  });

  it('the portable and AVX2 paths (what ARM64 and older x86 run) compute the same products', () => {
    const a = addon();
    const rng = new Rng(8);
    const fill = (n: number) => Float32Array.from({ length: n }, () => rng.range(-1, 1));
    try {
      for (const [M, N, K, ta, tb] of [
        [100, 77, 252, false, false],
        [37, 40, 300, true, false],
        [3, 50, 30, true, false],
        [20, 33, 17, false, true],
      ] as [number, number, number, boolean, boolean][]) {
        const A = fill(M * K);
        const B = fill(K * N);
        const want = referenceGemm(ta, tb, M, N, K, 1, A, ta ? M : K, B, tb ? K : N, 0, new Float32Array(M * N), N);
        for (const isa of implementations(a).slice(1)) {
          a.setIsa(isa);
          assert.equal(a.info().isa, isa);
          const C = new Float32Array(M * N);
          a.sgemm(ta, tb, M, N, K, 1, A, ta ? M : K, B, tb ? K : N, 0, C, N, 2);
          assert.ok(maxDiff(C, want) < 1e-5 * Math.sqrt(K), `${isa} M${M} N${N} K${K}`);
        }
      }
    } finally {
      a.setIsa('auto');
    }
  });

  it('beta = 0 ignores NaN already in C', () => {
    const a = addon();
    const C = new Float32Array(4).fill(NaN);
    a.sgemm(false, false, 2, 2, 1, 1, new Float32Array([1, 2]), 1, new Float32Array([3, 4]), 2, 0, C, 2, 1);
    assert.deepEqual(Array.from(C), [3, 4, 6, 8]);
  });

  it('rejects bad arguments with errors naming them, before touching memory', () => {
    const a = addon();
    const f = (n: number) => new Float32Array(n);
    assert.throws(() => a.sgemm(false, false, 4, 4, 4, 1, f(15), 4, f(16), 4, 0, f(16), 4, 1), /A is too short/);
    assert.throws(() => a.sgemm(false, false, 4, 4, 4, 1, f(16), 4, f(16), 4, 0, f(15), 4, 1), /C is too short/);
    assert.throws(() => a.sgemm(false, true, 4, 4, 4, 1, f(16), 4, f(16), 3, 0, f(16), 4, 1), /ldb must be >= 4/);
    assert.throws(
      () => a.sgemm(false, false, 4, 4, 4, 1, new Float64Array(16) as never, 4, f(16), 4, 0, f(16), 4, 1),
      (e: Error) => e instanceof TypeError && /A must be a Float32Array/.test(e.message),
    );
    assert.throws(
      () => a.sgemm(false, false, 4.5, 4, 4, 1, f(16), 4, f(16), 4, 0, f(16), 4, 1),
      (e: Error) => e instanceof RangeError && /M must be an integer/.test(e.message),
    );
    assert.throws(() => a.sgemm(false, false, -1, 4, 4, 1, f(16), 4, f(16), 4, 0, f(16), 4, 1), /M must be/);
    assert.throws(() => a.sgemm(0 as never, false, 4, 4, 4, 1, f(16), 4, f(16), 4, 0, f(16), 4, 1), /transA/);
    assert.throws(() => a.sgemm(false, false, 4, 4, 4, 1, f(16), 4, f(16), 4, 0, f(16), 4, 0), /threads/);
    assert.throws(() => a.sgemm(false, false, 4, 4, 4, NaN, f(16), 4, f(16), 4, 0, f(16), 4, 1), /alpha/);
    assert.throws(() => a.mathApply('log' as never, 'auto', f(1), f(1)), /fn must be/);
    assert.throws(() => a.mathApply('exp', 'sse9' as never, f(1), f(1)), /impl must be/);
    assert.throws(() => a.mathApply('exp', 'auto', f(2), f(1)), /dst must have length 2/);
    assert.throws(() => a.mathApply('exp', 'auto', [1, 2] as never, f(2)), /src must be a Float32Array/);
  });
});
