// Deterministic bench inputs: the same logits and labels for every implementation of a shape.

/** One benchmark shape: N rows × K classes. */
export interface Shape {
  n: number;
  k: number;
}

/** "32x32000" (the id used in flags, JSON and file names). */
export function shapeId(s: Shape): string {
  return `${s.n}x${s.k}`;
}

/** "32×32000" (for tables and charts). */
export function shapeLabel(s: Shape): string {
  return `${s.n}×${s.k}`;
}

/** Parses "32x32000" (also "32×32000"); throws a RangeError that names the bad entry. */
export function parseShape(text: string): Shape {
  const m = /^\s*(\d+)\s*[x×]\s*(\d+)\s*$/.exec(text);
  if (!m) throw new RangeError(`bad shape '${text}': expected NxK, e.g. 32x32000`);
  const n = Number(m[1]),
    k = Number(m[2]);
  if (n < 1 || k < 1) throw new RangeError(`bad shape '${text}': N and K must be ≥ 1`);
  return { n, k };
}

/** mulberry32: a small seeded generator of uniforms in [0, 1). */
function uniforms(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface BenchData {
  shape: Shape;
  /** N·K logits drawn from N(0, 3²). */
  logits: Float32Array;
  /** N labels, uniform over [0, K). */
  labels: Int32Array;
  /** logits minus their row maximum (all ≤ 0): the input of the exp bound, as the kernels see it. */
  shifted: Float32Array;
}

export function makeData(shape: Shape, seed = 0x5eed): BenchData {
  const { n, k } = shape;
  const rnd = uniforms(seed ^ (n * 7919 + k));
  const logits = new Float32Array(n * k);
  for (let i = 0; i < logits.length; i++) {
    // Box–Muller; 1 − u keeps the log finite.
    const u = 1 - rnd(),
      v = rnd();
    logits[i] = 3 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = Math.min(k - 1, Math.floor(rnd() * k));
  const shifted = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let j = i * k; j < (i + 1) * k; j++) if (logits[j]! > m) m = logits[j]!;
    for (let j = i * k; j < (i + 1) * k; j++) shifted[j] = logits[j]! - m;
  }
  return { shape, logits, labels, shifted };
}
