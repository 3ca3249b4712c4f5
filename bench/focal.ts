// npm run bench:focal — the fused focal loss + gradient (crossEntropy's `focal` option, docs/spec.md
// "focal") against, in the same process and on the same inputs:
//   - plain crossEntropy at the same shape and smoothing (the issue's cost bar: ≤ 1.5× for integer γ,
//     ≤ 2.5× for any other γ),
//   - plain JavaScript composed focal loss + gradient (softmax, the per-class focal terms and their closed
//     form gradient, in f64 arrays, one pass per step, as a user writing it would),
//   - TF.js (wasm backend, one thread) composed focal loss under tf.valueAndGrad.
// Mean time per call (p50 / p99 beside it), γ = 3, FLSD-53 and γ = 1.5, at 32×32000 and 256×1000,
// 'mean' reduction, index labels. softxent's operands are resident (allocFloat32; gradOut resident):
// the kernels' time. Writes bench/results/focal.{md,json}; the load average is recorded beside the numbers.

import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { allocFloat32, allocInt32, backendInfo, crossEntropy, init } from "softxent";
import { type Budget, measure, pool, type Summary } from "./measure.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const quick = process.argv.includes("--quick");
const budget: Budget = quick
  ? { timeMs: 0, minIterations: 1, slowCapMs: 0, fixedIterations: 2 }
  : { timeMs: 1500, minIterations: 10, slowCapMs: 3000 };
const ROUNDS = quick ? 1 : 2;

/** Deterministic N(0, σ²) logits and labels. */
function data(n: number, k: number, seed: number): { z: Float32Array; y: Int32Array } {
  let s = seed >>> 0;
  const u = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return (s + 0.5) / 4294967296;
  };
  const z = new Float32Array(n * k);
  for (let e = 0; e < z.length; e += 2) {
    const r = Math.sqrt(-2 * Math.log(u()));
    const t = 2 * Math.PI * u();
    z[e] = 3 * r * Math.cos(t);
    if (e + 1 < z.length) z[e + 1] = 3 * r * Math.sin(t);
  }
  const y = Int32Array.from({ length: n }, () => Math.floor(u() * k));
  return { z, y };
}

/** Plain JS focal loss + gradient ('mean', index labels, scalar α, optional uniform smoothing). */
function jsFocal(z: Float32Array, y: Int32Array, k: number, gammaOf: (pTrue: number) => number, eps: number, g: Float32Array): number {
  const n = y.length;
  let total = 0;
  const logp = new Float64Array(k);
  const p = new Float64Array(k);
  const a = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, z[o + j]!);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(z[o + j]! - m);
    const ls = Math.log(s);
    for (let j = 0; j < k; j++) {
      logp[j] = z[o + j]! - m - ls;
      p[j] = Math.exp(logp[j]!);
    }
    const gamma = gammaOf(p[y[i]!]!);
    let aSum = 0;
    for (let j = 0; j < k; j++) {
      const q = (j === y[i] ? 1 - eps : 0) + eps / k;
      const u = 1 - p[j]!;
      const f = u ** gamma;
      total += q * f * -logp[j]!;
      a[j] = q * (f - gamma * u ** (gamma - 1) * p[j]! * logp[j]!);
      aSum += a[j]!;
    }
    for (let j = 0; j < k; j++) g[o + j] = (p[j]! * aSum - a[j]!) / n;
  }
  return total / n;
}

type Tf = typeof import("@tensorflow/tfjs");

type Tensor = import("@tensorflow/tfjs").Tensor;

/**
 * TF.js composed focal loss ('mean' over rows), differentiated by tf.valueAndGrad. γ: a number, or a
 * per-row [N, 1] tensor (FLSD-53's, formed outside the tape: no gradient through the schedule).
 */
function tfFocal(tf: Tf, q: Tensor, gamma: number | Tensor) {
  return (z: Tensor) => {
    const logp = tf.logSoftmax(z);
    const u = tf.sub(1, tf.exp(logp));
    const w = tf.pow(u, gamma);
    return tf.mean(tf.sum(tf.mul(tf.mul(w, q), tf.neg(logp)), -1)) as import("@tensorflow/tfjs").Scalar;
  };
}

/** FLSD-53's per-row γ for the logits z (5 where the true class's p < 0.2, else 3), as an [N, 1] tensor. */
function tfFlsd(tf: Tf, q: Tensor, z: Tensor): Tensor {
  return tf.tidy(() => {
    const pt = tf.sum(tf.mul(tf.softmax(z), q), -1, true);
    return tf.where(tf.less(pt, 0.2), tf.fill(pt.shape, 5), tf.fill(pt.shape, 3));
  });
}

interface Row {
  shape: string;
  smoothing: number;
  gamma: string;
  softxent: Summary;
  plainCe: Summary;
  js: Summary | null;
  tfjs: Summary | null;
}

async function time(name: string, fn: () => unknown): Promise<Summary> {
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await measure(name, fn, budget));
  return pool(rounds);
}

async function main(): Promise<void> {
  const load0 = loadavg()[0]!;
  await init();
  const tf = await import("@tensorflow/tfjs");
  const wasm = await import("@tensorflow/tfjs-backend-wasm");
  const require = createRequire(join(root, "package.json"));
  wasm.setWasmPaths(`${dirname(require.resolve("@tensorflow/tfjs-backend-wasm"))}/`);
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
  const log = console.log;
  const warn = console.warn;
  console.warn = () => {};
  if (!(await tf.setBackend("wasm"))) throw new Error("TF.js wasm backend failed to initialise");
  await tf.ready();
  console.warn = warn;
  log(
    `softxent ${backendInfo().build}; TF.js wasm (one thread); load ${loadavg()
      .map((v) => v.toFixed(2))
      .join(" ")}`,
  );
  const rows: Row[] = [];
  const shapes: Array<[number, number]> = [
    [32, 32000],
    [256, 1000],
  ];
  for (const [n, k] of shapes) {
    const { z, y } = data(n, k, n * 7 + k);
    const zb = allocFloat32(n * k);
    const gb = allocFloat32(n * k);
    const yb = allocInt32(n);
    zb.view.set(z);
    yb.view.set(y);
    const g = new Float32Array(n * k);
    const q = tf.oneHot(tf.tensor1d(y, "int32"), k).toFloat();
    const zt = tf.tensor2d(z, [n, k]);
    for (const smoothing of [0, 0.1]) {
      const plainCe = await time("plain", () => crossEntropy(zb, yb, { classes: k, smoothing, gradOut: gb }));
      for (const gamma of [3, "flsd-53", 1.5] as const) {
        const softxent = await time("focal", () => crossEntropy(zb, yb, { classes: k, smoothing, gradOut: gb, focal: { gamma } }));
        // the peers for ε = 0 only (their cost does not depend on ε)
        let js: Summary | null = null;
        let tfjs: Summary | null = null;
        if (smoothing === 0) {
          const gammaOf = gamma === "flsd-53" ? (pt: number) => (pt < 0.2 ? 5 : 3) : () => gamma;
          js = await time("js", () => jsFocal(z, y, k, gammaOf, 0, g));
          tfjs = await time("tfjs", () => {
            const gt = gamma === "flsd-53" ? tfFlsd(tf, q, zt) : null;
            const r = tf.valueAndGrad(tfFocal(tf, q, gt ?? (gamma as number)))(zt);
            r.grad.dataSync();
            r.value.dataSync();
            r.grad.dispose();
            r.value.dispose();
            gt?.dispose();
          });
        }
        const row: Row = { shape: `${n}×${k}`, smoothing, gamma: String(gamma), softxent, plainCe, js, tfjs };
        rows.push(row);
        const f = (s: Summary | null) => (s ? `${s.meanMs.toFixed(3)} ms` : "—");
        log(
          `${row.shape} ε=${smoothing} γ=${row.gamma}: focal ${f(softxent)} (×${(softxent.meanMs / plainCe.meanMs).toFixed(2)} plain CE ${f(plainCe)})` +
            (js ? `; JS ${f(js)} (${(js.meanMs / softxent.meanMs).toFixed(1)}×)` : "") +
            (tfjs ? `; TF.js-wasm ${f(tfjs)} (${(tfjs.meanMs / softxent.meanMs).toFixed(1)}×)` : ""),
        );
      }
    }
    zb.release();
    gb.release();
    yb.release();
    q.dispose();
    zt.dispose();
  }
  const load1 = loadavg()[0]!;
  const ms = (s: Summary | null) => (s ? `${s.meanMs.toFixed(3)} (${s.p50Ms.toFixed(3)} / ${s.p99Ms.toFixed(3)})` : "—");
  const lines = [
    "| shape | ε | γ | softxent focal, ms mean (p50 / p99) | plain crossEntropy, ms | focal ÷ plain | plain JS focal, ms | JS ÷ softxent | TF.js-wasm focal (valueAndGrad), ms | TF.js ÷ softxent |",
    "|---|---|---|---|---|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.shape} | ${r.smoothing} | ${r.gamma} | ${ms(r.softxent)} | ${ms(r.plainCe)} | ${(r.softxent.meanMs / r.plainCe.meanMs).toFixed(2)}× | ${ms(r.js)} | ${r.js ? `${(r.js.meanMs / r.softxent.meanMs).toFixed(1)}×` : "—"} | ${ms(r.tfjs)} | ${r.tfjs ? `${(r.tfjs.meanMs / r.softxent.meanMs).toFixed(1)}×` : "—"} |`,
    ),
  ];
  const head = `softxent ${backendInfo().build}, Node ${process.version}, TF.js wasm one thread; load average (1 min) ${load0.toFixed(2)} at the start, ${load1.toFixed(2)} at the end.`;
  const md = `${head}\n\n${lines.join("\n")}\n`;
  log(`\n${md}`);
  if (!quick) {
    writeFileSync(join(root, "bench/results/focal.md"), md);
    writeFileSync(
      join(root, "bench/results/focal.json"),
      `${JSON.stringify({ load: [load0, load1], build: backendInfo().build, rows }, null, 2)}\n`,
    );
  }
}

await main();
