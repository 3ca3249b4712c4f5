// Same-process A/B of two builds of softxent (single thread): the mean per call, p50 and p99 of
// crossEntropy, linearCrossEntropy, calibration, fitTemperature and smoothTargets, the two builds
// alternating call by call so that load from other processes falls on both alike.
//
//   node scripts/ab.mjs <baseline dist dir> [candidate dist dir = ./dist] [rounds = 40]
//   AB_CASES=calibration,fitTemperature node scripts/ab.mjs …    only the cases whose names start so
//
// e.g. git worktree add --detach /tmp/base <commit> && (cd /tmp/base && npm ci && npm run build)
//      node scripts/ab.mjs /tmp/base/dist
// Prints the load average beside the numbers: on a busy machine the ratio is what counts.

import { loadavg } from "node:os";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [baseDir, candDir = "dist", roundsArg = "40"] = process.argv.slice(2);
if (!baseDir) {
  console.error("usage: node scripts/ab.mjs <baseline dist dir> [candidate dist dir] [rounds]");
  process.exit(2);
}
const rounds = Number(roundsArg);
const load = async (dir) => import(pathToFileURL(resolve(dir, "index.js")).href);
const builds = [
  { name: "baseline", m: await load(baseDir) },
  { name: "candidate", m: await load(candDir) },
];
for (const b of builds) b.m.initSync({ simd: true, threads: 1 });

function rng(seed) {
  let s = seed | 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const r = rng(1);
const f32 = (n, scale) => Float32Array.from({ length: n }, () => (r() * 2 - 1) * scale);
const i32 = (n, k) => Int32Array.from({ length: n }, () => Math.floor(r() * k));

const cases = [
  {
    name: "crossEntropy 256×32000, smoothing 0.1",
    make: () => ({ z: f32(256 * 32000, 4), y: i32(256, 32000) }),
    run: (m, d) => m.crossEntropy(d.z, d.y, { classes: 32000, smoothing: 0.1 }),
  },
  {
    name: "crossEntropy 4096×10",
    make: () => ({ z: f32(4096 * 10, 4), y: i32(4096, 10) }),
    run: (m, d) => m.crossEntropy(d.z, d.y, { classes: 10 }),
  },
  {
    name: "linearCrossEntropy 256×256×8000 + bias",
    make: () => ({ h: f32(256 * 256, 1), w: f32(8000 * 256, 0.1), y: i32(256, 8000), b: f32(8000, 0.1) }),
    run: (m, d) => m.linearCrossEntropy(d.h, d.w, d.y, { classes: 8000, bias: d.b }),
  },
  {
    name: "linearCrossEntropy 2048×64×50, 10% ignored",
    make: () => {
      const y = i32(2048, 50);
      for (let i = 0; i < y.length; i += 10) y[i] = -100;
      return { h: f32(2048 * 64, 1), w: f32(50 * 64, 0.2), y };
    },
    run: (m, d) => m.linearCrossEntropy(d.h, d.w, d.y, { classes: 50 }),
  },
  {
    name: "calibration 10000×1000",
    make: () => ({ z: f32(10000 * 1000, 4), y: i32(10000, 1000) }),
    run: (m, d) => m.calibration(d.z, d.y, { classes: 1000 }),
  },
  {
    name: "calibration 4096×10, quantile, 10% ignored",
    make: () => {
      const y = i32(4096, 10);
      for (let i = 0; i < y.length; i += 10) y[i] = -100;
      return { z: f32(4096 * 10, 4), y };
    },
    run: (m, d) => m.calibration(d.z, d.y, { classes: 10, binning: "quantile" }),
  },
  {
    name: "fitTemperature 10000×1000",
    make: () => {
      // labels that agree with the logits more often than chance: an interior minimiser
      const z = f32(10000 * 1000, 4),
        y = i32(10000, 1000);
      for (let i = 0; i < y.length; i += 2) {
        let a = 0;
        for (let j = 1; j < 1000; j++) if (z[i * 1000 + j] > z[i * 1000 + a]) a = j;
        y[i] = a;
      }
      return { z, y };
    },
    run: (m, d) => m.fitTemperature(d.z, d.y, { classes: 1000 }),
  },
  {
    name: "fitTemperature 4096×10",
    make: () => ({ z: f32(4096 * 10, 4), y: i32(4096, 10) }),
    run: (m, d) => m.fitTemperature(d.z, d.y, { classes: 10 }),
  },
  {
    name: "smoothTargets 10000×1000",
    make: () => ({ y: i32(10000, 1000), out: new Float32Array(10000 * 1000) }),
    run: (m, d) => m.smoothTargets(d.y, { classes: 1000, smoothing: 0.1, out: d.out }),
  },
];
const only = process.env.AB_CASES?.split(",").filter(Boolean);
const chosen = only ? cases.filter((c) => only.some((o) => c.name.startsWith(o))) : cases;

const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  return { mean, p50: s[Math.floor(s.length / 2)], p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] };
};

console.log(
  `load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
for (const c of chosen) {
  const d = c.make();
  const times = builds.map(() => []);
  for (const b of builds) for (let i = 0; i < 3; i++) c.run(b.m, d); // warm up
  for (let k = 0; k < rounds; k++) {
    // alternate the order every round
    const order = k % 2 === 0 ? [0, 1] : [1, 0];
    for (const j of order) {
      const t0 = performance.now();
      c.run(builds[j].m, d);
      times[j].push(performance.now() - t0);
    }
  }
  const [a, b] = times.map(stats);
  const f = (x) => x.toFixed(3).padStart(8);
  console.log(
    `${c.name.padEnd(44)} baseline mean ${f(a.mean)} ms (p50 ${f(a.p50)}, p99 ${f(a.p99)})  candidate mean ${f(b.mean)} ms (p50 ${f(b.p50)}, p99 ${f(b.p99)})  candidate/baseline ${(b.mean / a.mean).toFixed(3)} (p50 ${(b.p50 / a.p50).toFixed(3)})`,
  );
}
console.log(
  `load average after: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
