/**
 * The browser parity cases: generated in Node from seeded RNGs, sent to the page as base64, run
 * there, and compared here against the double-precision reference with docs/spec.md "Accuracy" bounds
 * (test/helpers/compare.ts). Shapes include N = 0, K = 1, K not a multiple of 4 and large K; logits
 * include masked classes (−Infinity), a NaN row and extreme ranges (|z| ~ 1e4, offsets ~ 1e7).
 */
import * as ref from "../../src/reference/index.js";
import { expectGrad, expectLoss, expectLosses } from "../helpers/compare.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

export interface WireCase {
  name: string;
  fn: "crossEntropy" | "logSoftmax" | "softmax" | "smoothTargets";
  logits: string;
  labels?: string;
  targets?: string;
  weights?: string;
  resident?: boolean;
  options: Record<string, unknown>;
}

export interface WireResult {
  error?: string;
  loss?: string;
  grad?: string | null;
  values?: string;
}

interface Case {
  wire: WireCase;
  check(result: WireResult): void;
}

const b64 = (a: Float32Array | Int32Array | Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");
const f32 = (s: string): Float32Array => {
  const b = Buffer.from(s, "base64");
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const f64 = (s: string): Float64Array => {
  const b = Buffer.from(s, "base64");
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};

/** Element-wise check for logSoftmax / softmax / smoothTargets values (the loss bound, per element). */
function expectValues(actual: Float32Array, expected: Float64Array, what: string): void {
  expectLosses(actual, expected, what);
}

function maskSome(rng: () => number, z: Float32Array, k: number, fraction: number, labels?: Int32Array): void {
  for (let e = 0; e < z.length; e++) {
    const i = Math.floor(e / k);
    if (labels && labels[i] === e % k) continue; // keep the target class unmasked (finite loss)
    if (rng() < fraction) z[e] = -Infinity;
  }
}

/** Σ of the 'mean' divisor D (docs/spec.md "crossEntropy"): non-ignored rows, weighted by w_y. */
function meanDivisor(labels: Int32Array | null, n: number, weights: Float32Array | null, ignoreIndex: number): number {
  if (labels === null) return n;
  let d = 0;
  for (const y of labels) if (y !== ignoreIndex) d += weights ? weights[y]! : 1;
  return d;
}

export function buildCases(seed: number): Case[] {
  const rng = mulberry32(seed);
  const cases: Case[] = [];
  const shapes: Array<[number, number]> = [
    [0, 10],
    [1, 1],
    [9, 1],
    [5, 3],
    [33, 7],
    [16, 10],
    [8, 129],
    [4, 1000],
    [2, 4099],
    [1, 32768],
  ];
  const extremes: Array<[number, number]> = [
    [3, 0],
    [1e4, 0],
    [3, 1e7],
    [30, -5e3],
  ];

  let c = 0;
  for (const [n, k] of shapes) {
    for (const [scale, offset] of extremes) {
      c++;
      const smoothing = [0, 0.1, 0.25][c % 3]!;
      const smoothingMode = c % 4 === 1 && k > 1 ? "others" : "uniform";
      const reduction = (["mean", "sum", "none"] as const)[c % 3]!;
      const ignoreIndex = -100;
      const labels = randomLabels(rng, n, k, c % 2 ? 0.2 : 0, ignoreIndex);
      const logits = randomLogits(rng, n, k, scale, offset);
      if (c % 3 === 0 && k > 2) maskSome(rng, logits, k, 0.3, labels);
      if (c % 7 === 0 && n > 1 && k > 1) logits[k + 1] = NaN; // a NaN row: NaN loss and gradient there only
      const weightMode = (["none", "pytorch", "target"] as const)[c % 3]!;
      const weights = weightMode === "none" ? null : Float32Array.from({ length: k }, () => 0.2 + 2 * rng());
      const zLoss = c % 5 === 0 ? 1e-3 : 0;
      const options: Record<string, unknown> = { classes: k, smoothing, smoothingMode, reduction, ignoreIndex, zLoss };
      if (weights) options.classWeightMode = weightMode;
      const name = `crossEntropy index N=${n} K=${k} z~${offset}+${scale}·N(0,1) ε=${smoothing} ${smoothingMode} ${reduction} w=${weightMode} λ=${zLoss}`;
      const want = ref.crossEntropy(logits, labels, { ...options, ...(weights ? { classWeights: weights } : {}) } as never);
      const d = meanDivisor(labels, n, weights, ignoreIndex);
      const gradScale = reduction === "mean" && d > 0 ? 1 / d : 1;
      cases.push({
        wire: {
          name,
          fn: "crossEntropy",
          logits: b64(logits),
          labels: b64(labels),
          options,
          resident: c % 4 === 2,
          ...(weights ? { weights: b64(weights) } : {}),
        },
        check(r) {
          checkLoss(r, want.loss, name);
          expectGrad(f32(r.grad!), want.grad!, gradScale, `${name} grad`);
        },
      });
    }
  }

  // Probability targets.
  for (const [n, k] of [
    [0, 5],
    [6, 1],
    [12, 11],
    [3, 2000],
  ] as Array<[number, number]>) {
    const logits = randomLogits(rng, n, k, 5, 0);
    if (k > 2) maskSome(rng, logits, k, 0.2);
    const targets = new Float32Array(n * k);
    for (let e = 0; e < targets.length; e++) targets[e] = rng();
    const options = { classes: k, smoothing: 0.1, reduction: "mean" };
    const name = `crossEntropy probabilities N=${n} K=${k}`;
    const want = ref.crossEntropy(logits, targets, options as never);
    cases.push({
      wire: { name, fn: "crossEntropy", logits: b64(logits), targets: b64(targets), options, resident: n === 12 },
      check(r) {
        checkLoss(r, want.loss, name);
        expectGrad(f32(r.grad!), want.grad!, n > 0 ? 1 / n : 1, `${name} grad`);
      },
    });
  }

  // logSoftmax, softmax (with temperature), smoothTargets.
  for (const [n, k] of [
    [0, 4],
    [3, 1],
    [7, 5],
    [4, 131],
    [2, 5003],
  ] as Array<[number, number]>) {
    for (const [scale, offset] of [
      [3, 0],
      [1e4, 1e7],
    ] as Array<[number, number]>) {
      const logits = randomLogits(rng, n, k, scale, offset);
      if (k > 2) maskSome(rng, logits, k, 0.25);
      const shape = `N=${n} K=${k} z~${offset}+${scale}·N(0,1)`;
      const ls = ref.logSoftmax(logits, { classes: k });
      cases.push({
        wire: { name: `logSoftmax ${shape}`, fn: "logSoftmax", logits: b64(logits), options: { classes: k } },
        check: (r) => expectValues(f32(r.values!), ls, `logSoftmax ${shape}`),
      });
      const temperature = scale > 100 ? 1 : 2.5;
      const sm = ref.softmax(logits, { classes: k, temperature });
      cases.push({
        wire: { name: `softmax ${shape} T=${temperature}`, fn: "softmax", logits: b64(logits), options: { classes: k, temperature } },
        check: (r) => expectValues(f32(r.values!), sm, `softmax ${shape}`),
      });
    }
    const labels = randomLabels(rng, n, k, 0.2, -1);
    for (const smoothingMode of ["uniform", "others"] as const) {
      const options = { classes: k, smoothing: 0.15, smoothingMode, ignoreIndex: -1 };
      const q = ref.smoothTargets(labels, options);
      const name = `smoothTargets N=${n} K=${k} ${smoothingMode}`;
      cases.push({
        wire: { name, fn: "smoothTargets", logits: b64(new Float32Array(0)), labels: b64(labels), options },
        check: (r) => expectValues(f32(r.values!), q, name),
      });
    }
  }
  return cases;
}

function checkLoss(r: WireResult, want: number | Float64Array, name: string): void {
  if (typeof want === "number") expectLoss(f64(r.loss!)[0]!, want, `${name} loss`);
  else {
    const rows = f32(r.loss!);
    expectLosses(rows, want, `${name} row losses`);
  }
}

/** Checks every result against its case. */
export function checkAll(cases: Case[], results: WireResult[]): void {
  if (results.length !== cases.length) throw new Error(`expected ${cases.length} results, received ${results.length}`);
  cases.forEach((c, i) => {
    const r = results[i]!;
    if (r.error) throw new Error(`${c.wire.name}: threw in the browser: ${r.error}`);
    c.check(r);
  });
}
