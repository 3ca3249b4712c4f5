// `npm start`: a short demonstration of softxent on generated data — which backend runs, the loss and
// gradient for a few smoothing values and for the focal loss, and the speed against a plain JavaScript loop.
import { init, backendInfo, crossEntropy } from "../dist/index.js";
import * as reference from "../dist/reference/index.js";
import { rng } from "./random.mjs";

/** What users write by hand: Float32Array, Math.exp, three passes per row. */
function plainCrossEntropy(z, y, n, k, eps, grad) {
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let m = -Infinity;
    for (let j = 0; j < k; j++) if (z[o + j] > m) m = z[o + j];
    let s = 0,
      sumD = 0;
    for (let j = 0; j < k; j++) {
      const d = z[o + j] - m;
      const e = Math.exp(d);
      grad[o + j] = e;
      s += e;
      sumD += d;
    }
    const logS = Math.log(s);
    loss += -(1 - eps) * (z[o + y[i]] - m - logS) - (eps / k) * (sumD - k * logS);
    const a = 1 / s / n,
      c = eps / k / n;
    for (let j = 0; j < k; j++) grad[o + j] = grad[o + j] * a - c;
    grad[o + y[i]] -= (1 - eps) / n;
  }
  return loss / n;
}

function opsPerSecond(fn, ms = 400) {
  for (let i = 0; i < 3; i++) fn();
  let reps = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < ms) {
    fn();
    reps++;
  }
  return reps / ((performance.now() - t0) / 1000);
}

await init();
const info = backendInfo();
console.log(
  `softxent ${info.version} — ${info.build} build (this engine: SIMD ${info.simdSupported ? "yes" : "no"}, ` +
    `relaxed SIMD ${info.relaxedSimdSupported ? "yes" : "no"}), Node ${process.versions.node}`,
);
if (!info.relaxedSimdSupported && process.versions.node.startsWith("20.")) {
  console.log("  (Node 20 validates the faster relaxed-SIMD build only with node --experimental-wasm-relaxed-simd)");
}

const r = rng(2026);
const n = 256,
  k = 1000;
const logits = new Float32Array(n * k).map(() => 3 * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()));
const labels = new Int32Array(n).map(() => Math.floor(r() * k));

console.log(`\nGenerated logits: ${n} rows × ${k} classes, N(0, 3²); random labels.`);
console.log("  ε      loss (softxent)   loss (f64 reference)  |grad| max      grad[0][label] ");
for (const smoothing of [0, 0.05, 0.1, 0.2]) {
  const { loss, grad } = crossEntropy(logits, labels, { classes: k, smoothing });
  const ref = reference.crossEntropy(logits, labels, { classes: k, smoothing });
  let gmax = 0;
  for (const g of grad) gmax = Math.max(gmax, Math.abs(g));
  console.log(
    `  ${smoothing.toFixed(2)}   ${loss.toFixed(9).padStart(14)}   ${ref.loss.toFixed(9).padStart(14)}       ${gmax.toExponential(3)}      ${grad[labels[0]].toExponential(4)}`,
  );
}

for (const gamma of [3, "flsd-53"]) {
  const focal = { gamma };
  const { loss, grad } = crossEntropy(logits, labels, { classes: k, focal });
  const ref = reference.crossEntropy(logits, labels, { classes: k, focal });
  let gmax = 0;
  for (const g of grad) gmax = Math.max(gmax, Math.abs(g));
  const name = gamma === "flsd-53" ? "FLSD-53" : `focal γ=${gamma}`;
  console.log(
    `  ${name.padEnd(11)} ${loss.toFixed(9).padStart(9)}   ${ref.loss.toFixed(9).padStart(14)}       ${gmax.toExponential(3)}      ${grad[labels[0]].toExponential(4)}`,
  );
}

const grad = new Float32Array(n * k);
const tPlain = opsPerSecond(() => plainCrossEntropy(logits, labels, n, k, 0.1, grad));
const tCopy = opsPerSecond(() => crossEntropy(logits, labels, { classes: k, smoothing: 0.1, gradOut: grad }));
const mps = (ops) => ((ops * n * k) / 1e6).toFixed(0).padStart(6);
console.log(`\nSpeed, loss + gradient at ε = 0.1 (${n}×${k}, plain Float32Arrays in and out, one thread):`);
console.log(`  plain JavaScript loop  ${mps(tPlain)} M logits/s`);
console.log(`  softxent (${info.build})     ${mps(tCopy)} M logits/s   ${(tCopy / tPlain).toFixed(1)}× plain JS`);
const tFocal = opsPerSecond(() => crossEntropy(logits, labels, { classes: k, focal: { gamma: 3 }, gradOut: grad }));
console.log(`  softxent focal γ = 3 (ε = 0)  ${mps(tFocal)} M logits/s   (npm run bench:focal compares it with JS and TF.js)`);
console.log("\nFull benchmarks with TF.js peers: npm run bench");
