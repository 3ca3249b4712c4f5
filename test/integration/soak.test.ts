/**
 * Soak: a long mixed-size run alternating the resident API (WasmBuffers, gradOut resident, in place)
 * and the copying API, with buffers allocated, grown past and released in between. Asserts that
 *  - once warmed up on a repeated size mix, wasm memory stays at its high-water mark
 *    (backendInfo().memoryBytes stops growing) and allocatedBytes returns to its baseline after releases;
 *  - results stay right (spot-checked against the f64 reference every SPOT calls);
 *  - no view goes stale: data written into a buffer before a growth is read back through `.view` after it.
 *
 * CI runs a short soak (20,000 calls). The long one:  npm run soak  (SOFTXENT_SOAK_CALLS=100000).
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  allocFloat32,
  allocInt32,
  backendInfo,
  crossEntropy,
  distillation,
  initSync,
  logSoftmax,
  smoothTargets,
  softmax,
  type WasmBuffer,
} from "../../dist/index.js";
import * as ref from "../../src/reference/index.js";
import { expectGrad, expectLoss, expectLosses } from "../helpers/compare.js";
import { mulberry32, randomLabels, randomLogits } from "../helpers/rng.js";

const CALLS = Number(process.env.SOFTXENT_SOAK_CALLS ?? 20000);
const LONG = process.env.SOFTXENT_SOAK_CALLS !== undefined;
const SPOT = LONG ? 997 : 97; // spot-check period (prime: it walks through the whole mix)
const WARMUP = 200; // calls (after the warm-up pass) of buffer churn, after which memory must not grow

/** The repeated size mix: [N, K]. */
const SHAPES: readonly [number, number][] = [
  [1, 10],
  [8, 3],
  [32, 100],
  [4, 1000],
  [2, 4096],
  [16, 17],
  [3, 1],
  [64, 33],
  [1, 32000],
];
/** Sizes (floats) of the temporary buffers allocated and released between calls. */
const TEMP_SIZES = [100, 70_000, 5, 300_000, 1_024, 150_000];

interface Slot {
  n: number;
  k: number;
  z: Float32Array; // source logits (never overwritten)
  y: Int32Array;
  teacher: Float32Array;
  zb: WasmBuffer<Float32Array>;
  yb: WasmBuffer<Int32Array>;
  gb: WasmBuffer<Float32Array>;
}

describe("soak", () => {
  beforeAll(() => initSync());

  it(
    `${CALLS} mixed calls: memory at its high-water mark, results right, no stale views`,
    () => {
      const rng = mulberry32(2024);
      const started = performance.now();
      const sentinel = allocFloat32(257);
      for (let j = 0; j < sentinel.length; j++) sentinel.view[j] = j * 0.5 - 3;
      const slots: Slot[] = SHAPES.map(([n, k]) => {
        const z = randomLogits(rng, n, k, 3, 0);
        const y = randomLabels(rng, n, k, 0.1);
        const s: Slot = {
          n,
          k,
          z,
          y,
          teacher: randomLogits(rng, n, k, 2, 0),
          zb: allocFloat32(n * k),
          yb: allocInt32(n),
          gb: allocFloat32(n * k),
        };
        s.yb.view.set(y);
        return s;
      });
      const temps: WasmBuffer<Float32Array>[] = [];
      let tempCursor = 0;
      let memAfterWarmup = -1;
      let growthsChecked = 0;

      const checkSentinel = (when: string): void => {
        const v = sentinel.view;
        for (let j = 0; j < v.length; j += 16) if (v[j] !== j * 0.5 - 3) expect.fail(`sentinel[${j}] = ${v[j]} ${when}`);
      };

      let spotChecks = 0;
      /** One library call of kind `mode` on slot `s`; checked against the reference when `spot`. */
      const step = (s: Slot, mode: number, spot: boolean): void => {
        const o = { classes: s.k, smoothing: 0.1, reduction: "sum" } as const;
        switch (mode) {
          case 0: {
            // copying
            const r = crossEntropy(s.z, s.y, o);
            if (spot) {
              const w = ref.crossEntropy(s.z, s.y, o);
              expectLoss(r.loss, w.loss as number);
              expectGrad(r.grad!, w.grad!, 1);
              spotChecks++;
            }
            break;
          }
          case 1: {
            // resident logits, labels and gradOut
            s.zb.view.set(s.z);
            const r = crossEntropy(s.zb, s.yb, { ...o, gradOut: s.gb });
            expect(r.grad).toBe(s.gb.view);
            if (spot) {
              const w = ref.crossEntropy(s.z, s.y, o);
              expectLoss(r.loss, w.loss as number);
              expectGrad(s.gb.view, w.grad!, 1);
              spotChecks++;
            }
            break;
          }
          case 2: {
            // resident, in place
            s.zb.view.set(s.z);
            const r = crossEntropy(s.zb, s.yb, { ...o, gradOut: s.zb, reduction: "none" });
            if (spot) {
              const w = ref.crossEntropy(s.z, s.y, { ...o, reduction: "none" });
              expectLosses(r.loss, w.loss as Float64Array);
              expectGrad(s.zb.view, w.grad!, 1);
              spotChecks++;
            }
            break;
          }
          case 3: {
            // copying, in place over a JS copy
            const zc = s.z.slice();
            const r = crossEntropy(zc, s.y, { ...o, gradOut: zc, reduction: "mean" });
            if (spot) {
              const w = ref.crossEntropy(s.z, s.y, { ...o, reduction: "mean" });
              expectLoss(r.loss, w.loss as number);
              spotChecks++;
            }
            break;
          }
          case 4: {
            // softmax resident in → resident out
            s.zb.view.set(s.z);
            const p = softmax(s.zb, { classes: s.k, out: s.gb, temperature: 1.5 });
            if (spot) {
              expectGrad(p, ref.softmax(s.z, { classes: s.k, temperature: 1.5 }), 1);
              spotChecks++;
            }
            break;
          }
          case 5: {
            // logSoftmax copying
            const l = logSoftmax(s.z, { classes: s.k });
            if (spot) {
              expectLosses(l, ref.logSoftmax(s.z, { classes: s.k }));
              spotChecks++;
            }
            break;
          }
          case 6: {
            // smoothTargets resident labels → resident out
            const q = smoothTargets(s.yb, { classes: s.k, smoothing: 0.2, out: s.gb });
            if (spot) {
              expectGrad(q, ref.smoothTargets(s.y, { classes: s.k, smoothing: 0.2 }), 1);
              spotChecks++;
            }
            break;
          }
          case 7: {
            // distillation copying
            const r = distillation(s.z, s.teacher, { classes: s.k, temperature: 2, labels: s.y, alpha: 0.5 });
            if (spot) {
              const w = ref.distillation(s.z, s.teacher, { classes: s.k, temperature: 2, labels: s.y, alpha: 0.5 });
              expectLoss(r.loss as number, w.loss as number);
              expectGrad(r.grad!, w.grad!, 1 / s.n);
              spotChecks++;
            }
            break;
          }
        }
      };

      // Warm-up: every (shape, kind of call) once, so the scratch area reaches its largest size.
      for (const s of slots) for (let mode = 0; mode < 8; mode++) step(s, mode, true);
      const allocatedBaseline = backendInfo().allocatedBytes;

      for (let call = 0; call < CALLS; call++) {
        const s = slots[call % slots.length]!;
        step(s, (call * 7 + (call >> 3)) % 8, call % SPOT === 0);

        // Buffer churn: every 5 calls allocate a temporary (maybe growing memory), every 5 calls
        // (offset) release the oldest; write a pattern first and read it back after the next allocation.
        if (call % 5 === 1) {
          const before = backendInfo().memoryBytes;
          const size = TEMP_SIZES[tempCursor++ % TEMP_SIZES.length]!;
          const marker = allocFloat32(3);
          marker.view.set([call, -call, 0.25]);
          const t = allocFloat32(size);
          t.view[0] = call;
          t.view[size - 1] = -call;
          temps.push(t);
          const m = marker.view; // read after the allocation: the refreshed view
          if (m[0] !== call || m[1] !== -call || m[2] !== 0.25) expect.fail(`marker lost after allocating ${size} floats at call ${call}`);
          if (backendInfo().memoryBytes > before) {
            growthsChecked++;
            checkSentinel(`after growth at call ${call}`);
            for (const s2 of slots) if (s2.yb.view[0] !== s2.y[0]) expect.fail(`labels buffer stale after growth at call ${call}`);
          }
          marker.release();
        }
        if (call % 5 === 3 && temps.length > 2) {
          const t = temps.shift()!;
          if (t.view[0] === undefined || t.view[t.length - 1] !== -t.view[0]!)
            expect.fail(`temporary buffer lost its data at call ${call}`);
          t.release();
        }

        if (call === WARMUP) {
          memAfterWarmup = backendInfo().memoryBytes;
        } else if (call > WARMUP && call % 50 === 0) {
          const m = backendInfo().memoryBytes;
          if (m !== memAfterWarmup) expect.fail(`wasm memory grew after warm-up: ${memAfterWarmup} → ${m} bytes at call ${call}`);
        }
      }
      checkSentinel("at the end");
      for (const t of temps.splice(0)) t.release();
      const info = backendInfo();
      expect(info.allocatedBytes, "allocatedBytes back to its baseline once the temporaries are released").toBe(allocatedBaseline);
      expect(info.memoryBytes).toBe(memAfterWarmup);
      for (const s of slots) {
        s.zb.release();
        s.yb.release();
        s.gb.release();
      }
      sentinel.release();
      const seconds = (performance.now() - started) / 1000;
      expect(spotChecks).toBeGreaterThan(CALLS / SPOT + 8 * SHAPES.length - 2);
      console.log(
        `soak (${info.build}): ${CALLS} calls in ${seconds.toFixed(1)} s; ${spotChecks} spot checks; ${growthsChecked} growths checked; ` +
          `memoryBytes ${info.memoryBytes} (high-water mark from call ${WARMUP} on); allocatedBytes baseline ${allocatedBaseline}, ` +
          `after releasing everything ${backendInfo().allocatedBytes}`,
      );
    },
    LONG ? 24 * 3600_000 : 120_000,
  );
});
