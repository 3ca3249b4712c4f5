// Single-precision matrix product for the fused linear head (docs/spec.md "linearCrossEntropy"):
//
//   C (m×n) = alpha·A·B          (acc = false)
//   C (m×n) = C + alpha·A·B      (acc = true)
//
// with A and B given by element strides, so that one routine serves the three products of the head
// (logits H·Wᵀ, ∂hidden G·W, ∂weight Gᵀ·H, for either weight layout) without transposing anything:
//   A[i][p] at a + 4·(i·rsA + p·csA),  B[p][j] at b + 4·(p·rsB + j·csB),  C[i][j] at c + 4·(i·ldc + j).
//
// Blocking (BLIS-like, docs/performance.md): k in blocks of KC, n in blocks of NC; inside a block the
// rows of A go MR at a time through every NR-column panel of B. The micro-kernel holds an MR×NR tile of
// C in 12 f32x4 registers, broadcasts one A element per row and loads two B vectors per step of p.
// B panels are read where they lie when B's rows are contiguous along j (csB = 1) and the panel is
// full; otherwise (a transposed B, or the last narrow panel) they are packed first into `pack`
// (KC·NC floats, zero-padded to NR columns). A is never packed: its MR×KC micro-panel stays in L1.
//
// Summation order: C[i][j] is summed over p sequentially inside each KC block (one f32 accumulator,
// fused multiply-add in the relaxed build), and the blocks are added into C in increasing p. That order
// depends only on (i, j, k), never on which tile or thread computes the element: splitting the C tiles
// among threads gives bitwise-identical results. The f32 error is then about √KC·2⁻²⁴ relative per
// block, which meets docs/spec.md's bar for D ≤ 4096 (see test/parity/linear_cross_entropy.test.ts).
//
// Preconditions: m, n ≥ 0; k ≥ 0 (k = 0 gives C = 0, or C unchanged with acc); C does not overlap A,
// B or pack; all pointers 4-byte aligned (16-byte alignment is not needed).

import { madd } from "./math/exp";

export const GEMM_MR: i32 = 6;
export const GEMM_NR: i32 = 8;
export const GEMM_KC: i32 = 256;
export const GEMM_NC: i32 = 512;
/** Bytes of the packing area gemm() needs. */
export const GEMM_PACK_BYTES: usize = <usize>(GEMM_KC * GEMM_NC) << 2;

/** An MR×NR tile for the narrow last panel (written here, then its valid columns copied to C). */
let EDGE: usize = memory.data(4 * 6 * 8, 16);
/** Scalar build: one row's NR accumulators. */
let ACC: usize = memory.data(4 * 8, 16);

export function gemm(
  m: i32, n: i32, k: i32,
  a: usize, rsA: i32, csA: i32,
  b: usize, rsB: i32, csB: i32,
  c: usize, ldc: i32, alpha: f32, acc: bool, pack: usize,
): void {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!acc) for (let i = 0; i < m; i++) memory.fill(c + ((<usize>i * <usize>ldc) << 2), 0, <usize>n << 2);
    return;
  }
  const direct = csB == 1;
  for (let pc = 0; pc < k; pc += GEMM_KC) {
    const kc = min(GEMM_KC, k - pc);
    const add = acc || pc > 0;
    const aBlk = a + ((<usize>pc * <usize>csA) << 2);
    for (let jc = 0; jc < n; jc += GEMM_NC) {
      const nc = min(GEMM_NC, n - jc);
      const bBlk = b + ((<usize>pc * <usize>rsB + <usize>jc * <usize>csB) << 2);
      packB(bBlk, rsB, csB, kc, nc, pack, direct);
      const cBlk = c + (<usize>jc << 2);
      let i = 0;
      for (; i + GEMM_MR <= m; i += GEMM_MR) {
        const ai = aBlk + ((<usize>i * <usize>rsA) << 2);
        const ci = cBlk + ((<usize>i * <usize>ldc) << 2);
        for (let jr = 0; jr < nc; jr += GEMM_NR) {
          const w = min(GEMM_NR, nc - jr);
          const inPlace = direct && w == GEMM_NR;
          const bp = inPlace ? bBlk + (<usize>jr << 2) : pack + ((<usize>jr * <usize>kc) << 2);
          const pb: usize = inPlace ? <usize>rsB << 2 : 32;
          tile6(kc, ai, <usize>rsA << 2, <usize>csA << 2, bp, pb, ci + (<usize>jr << 2), <usize>ldc << 2, alpha, add, w);
        }
      }
      for (; i < m; i++) {
        const ai = aBlk + ((<usize>i * <usize>rsA) << 2);
        const ci = cBlk + ((<usize>i * <usize>ldc) << 2);
        for (let jr = 0; jr < nc; jr += GEMM_NR) {
          const w = min(GEMM_NR, nc - jr);
          const inPlace = direct && w == GEMM_NR;
          const bp = inPlace ? bBlk + (<usize>jr << 2) : pack + ((<usize>jr * <usize>kc) << 2);
          const pb: usize = inPlace ? <usize>rsB << 2 : 32;
          tile1(kc, ai, <usize>csA << 2, bp, pb, ci + (<usize>jr << 2), alpha, add, w);
        }
      }
    }
  }
}

/**
 * Packs the kc×nc block of B at b into NR-wide panels: panel q (columns 8q…8q+7) at pack + 4·8q·kc,
 * row p of it at + 32·p, zero beyond column nc. With `direct`, full panels are left in place (the
 * kernels read B itself) and only a narrow last panel is packed.
 */
function packB(b: usize, rsB: i32, csB: i32, kc: i32, nc: i32, pack: usize, direct: bool): void {
  const rs = <usize>rsB << 2, cs = <usize>csB << 2;
  for (let jr = 0; jr < nc; jr += GEMM_NR) {
    const w = min(GEMM_NR, nc - jr);
    if (direct && w == GEMM_NR) continue;
    const dst = pack + ((<usize>jr * <usize>kc) << 2);
    const src = b + <usize>jr * cs;
    if (w < GEMM_NR) memory.fill(dst, 0, <usize>kc << 5);
    if (csB == 1) {
      for (let p = 0; p < kc; p++) {
        const s = src + <usize>p * rs, d = dst + (<usize>p << 5);
        for (let jj = 0; jj < w; jj++) store<f32>(d + (<usize>jj << 2), load<f32>(s + (<usize>jj << 2)));
      }
    } else if (ASC_FEATURE_SIMD && w == GEMM_NR && rsB == 1) {
      // transposed B (W read along its rows): 4×4 transposes, two of them per 4 rows of p
      packT8(src, cs, kc, dst);
    } else {
      for (let jj = 0; jj < w; jj++) {
        const s = src + <usize>jj * cs, d = dst + (<usize>jj << 2);
        for (let p = 0; p < kc; p++) store<f32>(d + (<usize>p << 5), load<f32>(s + <usize>p * rs));
      }
    }
  }
}

/** Eight source rows (column j of B = row j of the source, contiguous along p) → one packed panel. */
function packT8(src: usize, cs: usize, kc: i32, dst: usize): void {
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    const o = <usize>p << 2;
    for (let half: usize = 0; half < 2; half++) {
      const s = src + half * 4 * cs + o;
      const r0 = v128.load(s), r1 = v128.load(s + cs), r2 = v128.load(s + 2 * cs), r3 = v128.load(s + 3 * cs);
      // transpose: t0 = (r0[0], r1[0], r0[1], r1[1]) …
      const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5);
      const t2 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
      const d = dst + (<usize>p << 5) + (half << 4);
      v128.store(d, v128.shuffle<f64>(t0, t1, 0, 2));
      v128.store(d + 32, v128.shuffle<f64>(t0, t1, 1, 3));
      v128.store(d + 64, v128.shuffle<f64>(t2, t3, 0, 2));
      v128.store(d + 96, v128.shuffle<f64>(t2, t3, 1, 3));
    }
  }
  for (; p < kc; p++) {
    const d = dst + (<usize>p << 5);
    for (let jj: usize = 0; jj < 8; jj++) store<f32>(d + (jj << 2), load<f32>(src + jj * cs + (<usize>p << 2)));
  }
}

/**
 * The 6×8 micro-kernel: C tile (row stride ldc bytes) (+)= alpha·Σ_p A[r][p]·B[p][0..8) for r < 6.
 * a: A[0][0] of the tile, rs/cs: byte strides; b: B panel row 0, pb: bytes between its rows.
 * w < 8: only the first w columns of C are written (the panel is zero-padded).
 */
function tile6(kc: i32, a: usize, rs: usize, cs: usize, b: usize, pb: usize, c: usize, ldc: usize, alpha: f32, add: bool, w: i32): void {
  if (!ASC_FEATURE_SIMD) {
    for (let r: usize = 0; r < 6; r++) tile1(kc, a + r * rs, cs, b, pb, c + r * ldc, alpha, add, w);
    return;
  }
  let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00;
  let c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const r2 = rs * 2, r3 = rs * 3, r4 = rs * 4, r5 = rs * 5;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(b), b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd(x, b0, c00); c01 = madd(x, b1, c01);
    x = v128.load32_splat(a + rs);
    c10 = madd(x, b0, c10); c11 = madd(x, b1, c11);
    x = v128.load32_splat(a + r2);
    c20 = madd(x, b0, c20); c21 = madd(x, b1, c21);
    x = v128.load32_splat(a + r3);
    c30 = madd(x, b0, c30); c31 = madd(x, b1, c31);
    x = v128.load32_splat(a + r4);
    c40 = madd(x, b0, c40); c41 = madd(x, b1, c41);
    x = v128.load32_splat(a + r5);
    c50 = madd(x, b0, c50); c51 = madd(x, b1, c51);
    a += cs; b += pb;
  }
  const al = f32x4.splat(alpha);
  if (w == GEMM_NR) {
    storeRow(c, c00, c01, al, add);
    storeRow(c + ldc, c10, c11, al, add);
    storeRow(c + 2 * ldc, c20, c21, al, add);
    storeRow(c + 3 * ldc, c30, c31, al, add);
    storeRow(c + 4 * ldc, c40, c41, al, add);
    storeRow(c + 5 * ldc, c50, c51, al, add);
    return;
  }
  v128.store(EDGE, c00); v128.store(EDGE, c01, 16);
  v128.store(EDGE, c10, 32); v128.store(EDGE, c11, 48);
  v128.store(EDGE, c20, 64); v128.store(EDGE, c21, 80);
  v128.store(EDGE, c30, 96); v128.store(EDGE, c31, 112);
  v128.store(EDGE, c40, 128); v128.store(EDGE, c41, 144);
  v128.store(EDGE, c50, 160); v128.store(EDGE, c51, 176);
  for (let r: usize = 0; r < 6; r++) edgeRow(c + r * ldc, EDGE + (r << 5), alpha, add, w);
}

// A multiply and an add, never fused, here and in edgeRow: then an element's value does not depend on
// whether its column sits in a full panel or the narrow last one (nor on how threads split the tiles).
// @ts-ignore: decorator
@inline function storeRow(c: usize, lo: v128, hi: v128, al: v128, add: bool): void {
  if (add) {
    v128.store(c, f32x4.add(v128.load(c), f32x4.mul(lo, al)));
    v128.store(c, f32x4.add(v128.load(c, 16), f32x4.mul(hi, al)), 16);
  } else {
    v128.store(c, f32x4.mul(lo, al));
    v128.store(c, f32x4.mul(hi, al), 16);
  }
}

/** The first w columns of an accumulated row at t into C. */
function edgeRow(c: usize, t: usize, alpha: f32, add: bool, w: i32): void {
  for (let jj = 0; jj < w; jj++) {
    const q = c + (<usize>jj << 2);
    const v = load<f32>(t + (<usize>jj << 2)) * alpha;
    store<f32>(q, add ? load<f32>(q) + v : v);
  }
}

/** One row of a tile: the remainder rows (m not a multiple of 6), and the scalar build's kernel. */
function tile1(kc: i32, a: usize, cs: usize, b: usize, pb: usize, c: usize, alpha: f32, add: bool, w: i32): void {
  if (ASC_FEATURE_SIMD) {
    let c0 = f32x4.splat(0), c1 = c0;
    for (let p = 0; p < kc; p++) {
      const x = v128.load32_splat(a);
      c0 = madd(x, v128.load(b), c0); c1 = madd(x, v128.load(b, 16), c1);
      a += cs; b += pb;
    }
    if (w == GEMM_NR) { storeRow(c, c0, c1, f32x4.splat(alpha), add); return; }
    v128.store(EDGE, c0); v128.store(EDGE, c1, 16);
    edgeRow(c, EDGE, alpha, add, w);
    return;
  }
  let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0, s4: f32 = 0, s5: f32 = 0, s6: f32 = 0, s7: f32 = 0;
  for (let p = 0; p < kc; p++) {
    const x = load<f32>(a);
    s0 += x * load<f32>(b); s1 += x * load<f32>(b, 4); s2 += x * load<f32>(b, 8); s3 += x * load<f32>(b, 12);
    s4 += x * load<f32>(b, 16); s5 += x * load<f32>(b, 20); s6 += x * load<f32>(b, 24); s7 += x * load<f32>(b, 28);
    a += cs; b += pb;
  }
  store<f32>(ACC, s0); store<f32>(ACC, s1, 4); store<f32>(ACC, s2, 8); store<f32>(ACC, s3, 12);
  store<f32>(ACC, s4, 16); store<f32>(ACC, s5, 20); store<f32>(ACC, s6, 24); store<f32>(ACC, s7, 28);
  edgeRow(c, ACC, alpha, add, w);
}

/** Moves the edge scratch into a pool worker's context block at `base` (assembly/thread_context.ts). */
export function rebaseGemm(base: usize): usize {
  EDGE = base; ACC = base + 4 * 6 * 8;
  return base + GEMM_CTX_BYTES;
}

/** Bytes of gemm's EDGE tile and ACC row in a context block. */
export const GEMM_CTX_BYTES: usize = 4 * 6 * 8 + 4 * 8;
