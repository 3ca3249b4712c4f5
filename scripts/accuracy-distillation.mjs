// Worst-case error of distillation against the f64 reference, per build, in units of the bounds of
// docs/spec.md "Accuracy": loss error / (1e-6·max(1,|L|)) and gradient error / (5e-7·max(1, max|g|)) under 'sum'
// (≤ 1 passes). Grid: T ∈ {1, 2, 4, 8, 20, 50, 100}, K ∈ {2, 10, 1000, 32000}, logits N(0, 3²) and
// N(0, 1e4²); the teacher independent of the student ("indep"), or the student plus N(0, 0.1²) of its
// scale ("near": small KL, where cancellation hurts most). α = 1 (KL only) and α = 0.5 with labels
// and smoothing 0.1. Each cell is the worst over K, scale and α.
// Run: npm run build && node scripts/accuracy-distillation.mjs
import { initSync, distillation, backendInfo } from "../dist/index.js";
import * as ref from "../dist/reference/index.js";
import { rng, normal } from "./random.mjs";

const TS = [1, 2, 4, 8, 20, 50, 100];
const shapes = [
  [16, 2],
  [16, 10],
  [8, 1000],
  [2, 32000],
];
const scales = [3, 1e4];
const teachers = ["indep", "near"];

function errors(s, t, opts) {
  const a = distillation(s, t, opts),
    b = ref.distillation(s, t, opts);
  const lw = Math.abs(a.loss - b.loss) / Math.max(1, Math.abs(b.loss)) / 1e-6;
  let gmax = 0,
    err = 0;
  for (let j = 0; j < b.grad.length; j++) gmax = Math.max(gmax, Math.abs(b.grad[j]));
  for (let j = 0; j < b.grad.length; j++) err = Math.max(err, Math.abs(a.grad[j] - b.grad[j]));
  return [lw, err / (5e-7 * Math.max(1, gmax))];
}

for (const simd of [true, false]) {
  initSync({ simd });
  console.log(`\n${backendInfo().build} build — worst error as a fraction of the docs/spec.md bound (≤ 1 passes), loss / grad`);
  console.log("teacher  " + TS.map((T) => `T=${T}`.padEnd(14)).join(""));
  for (const kind of teachers) {
    const cells = [];
    for (const T of TS) {
      let lw = 0,
        gw = 0;
      for (const [n, k] of shapes) {
        for (const scale of scales) {
          const r = rng(n * 131 + k + scale + T * 7919 + (kind === "near" ? 1 : 0));
          const s = new Float32Array(n * k).map(() => scale * normal(r));
          const t = kind === "indep" ? new Float32Array(n * k).map(() => scale * normal(r)) : s.map((v) => v + 0.1 * scale * normal(r));
          const y = new Int32Array(n).map(() => Math.floor(r() * k));
          for (const o of [
            { classes: k, temperature: T, reduction: "sum" },
            { classes: k, temperature: T, reduction: "sum", labels: y, alpha: 0.5, smoothing: 0.1 },
          ]) {
            const [l, g] = errors(s, t, o);
            lw = Math.max(lw, l);
            gw = Math.max(gw, g);
          }
        }
      }
      cells.push(`${lw.toFixed(2)}/${gw.toFixed(2)}`.padEnd(14));
    }
    console.log(kind.padEnd(9) + cells.join(""));
  }
}
