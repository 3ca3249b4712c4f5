// A worker for test/unit/faults.test.ts: its own softxent instance (imports dist/index.js), its own
// stream of valid and invalid calls, each valid one compared with the f64 reference. Posts a summary.
import { parentPort, workerData } from "node:worker_threads";
import * as sx from "../../dist/index.js";
import * as ref from "../../dist/reference/index.js";

const { seed, simd, calls } = workerData;
let state = seed >>> 0;
const rand = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

const summary = { seed, simd, calls: 0, errorsThrown: 0, worstLossError: 0, worstGradError: 0, build: "", beforeInit: "" };
try {
  sx.crossEntropy(new Float32Array(2), new Int32Array([0]), { classes: 2 });
} catch (e) {
  summary.beforeInit = `${e.constructor.name}: ${e.message}`;
}
sx.initSync({ simd });
summary.build = sx.backendInfo().build;
const resident = sx.allocFloat32(64 * 64);
for (let c = 0; c < calls; c++) {
  const k = 1 + Math.floor(rand() * 60);
  const n = Math.floor(rand() * 40);
  const z = new Float32Array(n * k);
  for (let e = 0; e < z.length; e++) z[e] = (rand() - 0.5) * 20;
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) y[i] = rand() < 0.1 ? -100 : Math.floor(rand() * k);
  const o = { classes: k, smoothing: Math.round(rand() * 10) / 20, reduction: "sum" };
  if (c % 7 === 3) {
    // an invalid call in the stream: out-of-range label
    try {
      sx.crossEntropy(
        z,
        Int32Array.from(y, (v, i) => (i === 0 ? k + 3 : v)),
        o,
      );
    } catch (e) {
      if (e instanceof RangeError) summary.errorsThrown++;
      else throw e;
    }
  }
  let got;
  if (c % 2 === 0 && n * k <= resident.length) {
    // resident in place: a view into this worker's own wasm memory
    const view = resident.view.subarray(0, n * k);
    view.set(z);
    got = sx.crossEntropy(view, y, { ...o, gradOut: view });
  } else {
    got = sx.crossEntropy(z, y, o);
  }
  const want = ref.crossEntropy(z, y, o);
  const le = Math.abs(got.loss - want.loss) / Math.max(1, Math.abs(want.loss));
  let gmax = 1;
  for (const v of want.grad) gmax = Math.max(gmax, Math.abs(v));
  let ge = 0;
  for (let e = 0; e < want.grad.length; e++) ge = Math.max(ge, Math.abs(got.grad[e] - want.grad[e]) / gmax);
  summary.worstLossError = Math.max(summary.worstLossError, le);
  summary.worstGradError = Math.max(summary.worstGradError, ge);
  if (!(le <= 1e-6) || !(ge <= 5e-7)) {
    summary.failure = `call ${c}: N=${n} K=${k} loss error ${le}, gradient error ${ge}`;
    break;
  }
  summary.calls++;
}
resident.release();
parentPort.postMessage(summary);
