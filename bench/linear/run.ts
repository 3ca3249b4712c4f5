// `npm run bench:linear`: the fused linear head (linearCrossEntropy) against TF.js's wasm backend, in
// one process, one thread, calls alternated. Prints, and writes bench/results/linear.json:
//   1. memory: wasm memory growth of one call at N=2048, D=256, V=32000 (measured first, on a fresh
//      instance) against inputs + outputs + 1/8 of the 524 MB that logits and their gradient take;
//   2. loss + all gradients (hidden, weight, bias) at 256×256×32000, 1024×512×32000, 512×768×50257:
//      softxent vs TF.js-wasm matMul + bias + tf.losses.softmaxCrossEntropy under tf.valueAndGrads;
//   3. GFLOP/s of softxent's product kernel vs TF.js-wasm's non-transposed matMul on the same shape;
//   4. a custom-loop training step of a 32000-class Dense head: softxent/tfjs's fused head vs Dense
//      + tf.losses.softmaxCrossEntropy (tf.variableGrads + SGD);
//   5. the native anchor: PyTorch F.linear + F.cross_entropy(label_smoothing) fwd + bwd, 1 and 2
//      threads, beside softxent on 1 and 2 threads (bench/linear/native.ts; skipped, with the reason,
//      where no python3 with torch is installed).
// `--quick` leaves out the two large shapes of 2 (TF.js needs ~30–40 s per call there).
// The machine may be shared: compare ratios from one run, not absolute times across runs.

import { writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { repoRoot } from "../paths.js";
import { tfPeer } from "../peers/tfjs.js";
import { alternate, fmt, type Stats } from "./timing.js";
import { linearChart, type LinearReport } from "./chart.js";
import { nativeRows } from "./native.js";

type Softxent = typeof import("../../dist/index.js");
type Memory = typeof import("../../dist/memory.js");
type TfLinear = typeof import("../../dist/tfjs-linear.js");
type Tf = typeof import("@tensorflow/tfjs");

const quick = process.argv.includes("--quick");
const root = repoRoot();
const dist = (f: string) => pathToFileURL(join(root, "dist", f)).href;
const sx = (await import(dist("index.js"))) as Softxent;
const mem = (await import(dist("memory.js"))) as Memory;
const tfl = (await import(dist("tfjs-linear.js"))) as TfLinear;

/** Deterministic data: hidden N(0,1)-ish, weight scaled so that logits have unit-order spread. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}
function problem(n: number, d: number, v: number, seed = 1) {
  const r = lcg(seed);
  const hidden = Float32Array.from({ length: n * d }, () => 2 * r());
  const kernel = Float32Array.from({ length: d * v }, () => (4 / Math.sqrt(d)) * r()); // [D, V], TF.js Dense layout
  const bias = Float32Array.from({ length: v }, () => 0.2 * r());
  const labels = Int32Array.from({ length: n }, () => Math.floor((r() + 0.5) * v) % v);
  return { n, d, v, hidden, kernel, bias, labels };
}
type Problem = ReturnType<typeof problem>;

const report: Record<string, unknown> = {
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model,
  cores: cpus().length,
  note: "one thread each; the machine may have been shared with other jobs — compare the ratios of one run",
};

// ---- 1. memory, on a fresh instance before anything else has grown it
await sx.init();
report.build = sx.backendInfo().build;
console.log(`softxent ${sx.VERSION}, build ${sx.backendInfo().build}, ${report.cpu}, Node ${process.version}${quick ? " (--quick)" : ""}`);
{
  const p = problem(2048, 256, 32000, 7);
  const before = sx.backendInfo().memoryBytes;
  const r = sx.linearCrossEntropy(p.hidden, p.kernel, p.labels, { classes: p.v, weightLayout: "dv", bias: p.bias });
  const growth = sx.backendInfo().memoryBytes - before;
  const inputs = 4 * (p.hidden.length + p.kernel.length + p.labels.length + p.bias.length);
  const outputs = 4 * (r.gradHidden!.length + r.gradWeight!.length + r.gradBias!.length);
  const logits = 2 * 4 * p.n * p.v;
  const bound = inputs + outputs + logits / 8;
  const MB = (x: number) => (x / 1e6).toFixed(1) + " MB";
  console.log(
    `\n1. memory at 2048×256×32000: wasm grew ${MB(growth)}; inputs ${MB(inputs)} + outputs ${MB(outputs)} + 1/8 of ${MB(logits)} = ${MB(bound)} → ${growth <= bound ? "within" : "OVER"} the bound (${(growth / bound).toFixed(2)}×)`,
  );
  report.memory = {
    growthBytes: growth,
    inputBytes: inputs,
    outputBytes: outputs,
    logitsAndGradBytes: logits,
    boundBytes: bound,
    withinBound: growth <= bound,
  };
}

// ---- TF.js wasm
const peer = await tfPeer("wasm");
const tf = (await import("@tensorflow/tfjs")) as Tf;
report.tfjs = { ...peer.versions, backend: "wasm", simd: peer.simd };
console.log(`TF.js ${peer.versions["@tensorflow/tfjs"]} wasm backend (SIMD ${peer.simd}), one thread`);

// ---- 2. loss + all gradients
function ours(p: Problem) {
  const gradHidden = new Float32Array(p.n * p.d),
    gradWeight = new Float32Array(p.d * p.v),
    gradBias = new Float32Array(p.v);
  return () =>
    sx.linearCrossEntropy(p.hidden, p.kernel, p.labels, {
      classes: p.v,
      weightLayout: "dv",
      bias: p.bias,
      gradHidden,
      gradWeight,
      gradBias,
    }).loss;
}
function theirs(p: Problem) {
  const h = tf.tensor2d(p.hidden, [p.n, p.d]),
    k = tf.tensor2d(p.kernel, [p.d, p.v]),
    b = tf.tensor1d(p.bias);
  const onehot = tf.tidy(() => tf.oneHot(tf.tensor1d(p.labels, "int32"), p.v).cast("float32"));
  const f = tf.valueAndGrads(
    (hh: import("@tensorflow/tfjs").Tensor, kk: import("@tensorflow/tfjs").Tensor, bb: import("@tensorflow/tfjs").Tensor) =>
      tf.losses.softmaxCrossEntropy(onehot, tf.add(tf.matMul(hh, kk), bb)) as import("@tensorflow/tfjs").Scalar,
  );
  return {
    run: () => {
      const { value, grads } = f([h, k, b]);
      const loss = value.dataSync()[0]!;
      for (const g of grads) g.dataSync();
      tf.dispose([value, ...grads]);
      return loss;
    },
    dispose: () => tf.dispose([h, k, b, onehot]),
  };
}
const shapes: [number, number, number, number][] = [
  [256, 256, 32000, 3],
  ...(quick
    ? []
    : ([
        [1024, 512, 32000, 1],
        [512, 768, 50257, 1],
      ] as [number, number, number, number][])),
];
const fused: Record<string, unknown>[] = [];
console.log("\n2. loss + gradients of hidden, weight and bias (bias, 'dv' kernel), mean per call");
for (const [n, d, v, rounds] of shapes) {
  const p = problem(n, d, v, n + d);
  const t = theirs(p);
  // check the answers agree before timing
  const a = ours(p)() as number,
    b = t.run();
  const res = alternate({ softxent: ours(p), tfjs: t.run }, rounds, 1, rounds > 1);
  t.dispose();
  const ratio = res.tfjs!.meanMs / res.softxent!.meanMs;
  const gflops = (6 * n * d * v) / res.softxent!.meanMs / 1e6;
  console.log(
    `  ${n}×${d}×${v}: softxent ${fmt(res.softxent!)} | TF.js ${fmt(res.tfjs!)} | ${ratio.toFixed(1)}× (target ≥ 4×); loss ${a.toFixed(6)} vs ${b.toFixed(6)}; softxent ${gflops.toFixed(1)} GFLOP/s overall`,
  );
  fused.push({ shape: [n, d, v], softxent: res.softxent, tfjs: res.tfjs, ratio, lossSoftxent: a, lossTfjs: b, softxentGflops: gflops });
}
report.fused = fused;

// ---- 3. product kernel GFLOP/s vs TF.js's non-transposed matMul, C (256×32000) = A (256×256) · B (256×32000)
{
  const [m, k, n] = [256, 256, 32000];
  const A = problem(m, k, 1, 3).hidden,
    B = problem(1, k, n, 4).kernel;
  const h = mem.heap("bench");
  const pa = h.alloc(4 * m * k),
    pb = h.alloc(4 * k * n),
    pc = h.alloc(4 * m * n),
    pack = h.alloc(h.exports.linearScratchBytes(0, 0, 1));
  h.f32.set(A, pa >>> 2);
  h.f32.set(B, pb >>> 2);
  const ta = tf.tensor2d(A, [m, k]),
    tb = tf.tensor2d(B, [k, n]);
  const res = alternate(
    {
      softxent: () => h.exports.gemm(m, n, k, pa, k, 1, pb, n, 1, pc, n, 1, 0, pack),
      tfjs: () => {
        const c = tf.matMul(ta, tb);
        c.dataSync();
        c.dispose();
      },
    },
    5,
  );
  // same answer (spot check of one row)
  const c = tf.matMul(ta, tb);
  const tc = c.dataSync();
  c.dispose();
  let err = 0,
    big = 0;
  for (let j = 0; j < n; j++) {
    err = Math.max(err, Math.abs(h.f32[(pc >>> 2) + j]! - tc[j]!));
    big = Math.max(big, Math.abs(tc[j]!));
  }
  tf.dispose([ta, tb]);
  h.release(pa, 4 * m * k);
  h.release(pb, 4 * k * n);
  h.release(pc, 4 * m * n);
  h.release(pack, h.exports.linearScratchBytes(0, 0, 1));
  const flops = 2 * m * k * n;
  const ours = flops / res.softxent!.meanMs / 1e6,
    theirs = flops / res.tfjs!.meanMs / 1e6;
  console.log(
    `\n3. product ${m}×${k} · ${k}×${n}: softxent gemm ${ours.toFixed(1)} GFLOP/s (${fmt(res.softxent!)}) | TF.js matMul ${theirs.toFixed(1)} GFLOP/s (${fmt(res.tfjs!)}) | ${(ours / theirs).toFixed(2)}× (target ≥ 0.75×); max |Δ| ${(err / big).toExponential(1)} of max |c|`,
  );
  report.gemm = {
    shape: [m, k, n],
    softxentGflops: ours,
    tfjsGflops: theirs,
    ratio: ours / theirs,
    softxent: res.softxent,
    tfjs: res.tfjs,
  };
}

// ---- 4. custom-loop training step of the 32000-class head: Dense + tf.losses vs the fused head
{
  const p = problem(256, 256, 32000, 11);
  const h = tf.tensor2d(p.hidden, [p.n, p.d]);
  const onehot = tf.tidy(() => tf.oneHot(tf.tensor1d(p.labels, "int32"), p.v).cast("float32"));
  const make = () => {
    const dense = tf.layers.dense({ units: p.v, inputShape: [p.d], kernelInitializer: "zeros" });
    dense.apply(tf.zeros([1, p.d])); // builds the layer's weights
    dense.setWeights([tf.tensor2d(p.kernel, [p.d, p.v]), tf.tensor1d(p.bias)]);
    return { dense, opt: tf.train.sgd(0.01) };
  };
  const a = make(),
    b = make();
  const step = (loss: () => import("@tensorflow/tfjs").Scalar, opt: import("@tensorflow/tfjs").Optimizer) => () => {
    const { value, grads } = tf.variableGrads(loss);
    opt.applyGradients(grads);
    const l = value.dataSync()[0]!;
    tf.dispose([value, ...Object.values(grads)]);
    return l;
  };
  const kernelOf = (d: typeof a.dense) => d.getWeights()[0]!;
  const tasks = {
    softxent: step(
      () => tfl.linearSoftmaxCrossEntropy(tf, h, a.dense.trainableWeights[0]!.read(), a.dense.trainableWeights[1]!.read(), p.labels),
      a.opt,
    ),
    tfjs: step(
      () =>
        tf.losses.softmaxCrossEntropy(onehot, b.dense.apply(h) as import("@tensorflow/tfjs").Tensor) as import("@tensorflow/tfjs").Scalar,
      b.opt,
    ),
  };
  const res: Record<string, Stats> = alternate(tasks, quick ? 2 : 3);
  // both heads took the same steps: their kernels must agree
  const ka = kernelOf(a.dense).dataSync(),
    kb = kernelOf(b.dense).dataSync();
  let diff = 0;
  for (let i = 0; i < ka.length; i++) diff = Math.max(diff, Math.abs(ka[i]! - kb[i]!));
  const ratio = res.tfjs!.meanMs / res.softxent!.meanMs;
  console.log(
    `\n4. training step, Dense 256→32000 on 256 rows (variableGrads + SGD): softxent/tfjs ${fmt(res.softxent!)} | Dense + tf.losses ${fmt(res.tfjs!)} | ${ratio.toFixed(1)}× (target ≥ 2×); kernels after ${res.tfjs!.calls + 1} steps differ by ${diff.toExponential(1)}`,
  );
  report.trainingStep = { shape: [p.n, p.d, p.v], softxent: res.softxent, tfjs: res.tfjs, ratio, kernelMaxDiff: diff };
  tf.dispose([h, onehot]);
}

// ---- 5. the native anchor (PyTorch + its BLAS), 1 and 2 threads
report.native = nativeRows(sx, quick ? 2 : 4);

const out = quick ? join(root, "build", "linear-quick.json") : join(root, "bench", "results", "linear.json");
writeFileSync(out, JSON.stringify(report, null, 2) + "\n");
const svg = out.replace(/\.json$/, ".svg");
writeFileSync(svg, linearChart(report as unknown as LinearReport));
console.log(`\nwritten ${out} and ${svg}`);
