/**
 * The invariants that span the facade and the wasm core (docs/architecture.md "Parameter blocks"),
 * checked against every build this engine validates:
 * - every function export has the name and parameter count of src/abi.ts's EXPORT_ARITY (which the
 *   compiler ties to CoreExports), and every entry there is exported;
 * - the parameter blocks' offsets, job ids, result slots, reduction and weight codes in src/abi.ts
 *   equal the build's exported constants (assembly/params.ts, assembly/common.ts: the one source);
 * - threadContextBytes() is the sum of the named region sizes the build exports;
 * - after setThreadContext, running every kernel family writes no byte below the heap: every writable
 *   static region was rebased into the context block (a region left out would be shared by the pool's
 *   threads).
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  CAL,
  CAL_SLOT_BYTES,
  CALIBRATION_RESULT,
  CE,
  DST,
  EXPORT_ARITY,
  FOC,
  FOCAL_SCHEDULE,
  JOB,
  LCE,
  MOM,
  MOM_SLOT_BYTES,
  MOMENTS_RESULT,
  PARAMS,
  REDUCE,
  RESULT,
  SIG,
  SMT,
  WEIGHT,
} from "../../dist/abi.js";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
/** Exported for Binaryen's sake only (assembly/index.ts), never called by the facade. */
const NOT_FOR_THE_FACADE = new Set(["expSumRepairAtMax"]);

const BUILDS = ["relaxed", "simd", "scalar", "relaxed-threads", "simd-threads", "scalar-threads"]
  .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(root, `dist/wasm/softxent.${name}.wasm`))) }))
  .filter((b) => WebAssembly.validate(b.bytes));

function instantiate(bytes: Uint8Array<ArrayBuffer>, threaded: boolean): { ex: Record<string, unknown>; memory: WebAssembly.Memory } {
  const module = new WebAssembly.Module(bytes);
  if (threaded) {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 65536, shared: true });
    const ex = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, unknown>;
    return { ex, memory };
  }
  const ex = new WebAssembly.Instance(module, {}).exports as Record<string, unknown>;
  const memory = ex.memory as WebAssembly.Memory;
  memory.grow(64);
  return { ex, memory };
}

const camelToConst = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

describe.each(BUILDS)("the $name build against src/abi.ts", ({ name, bytes }) => {
  const threaded = name.endsWith("-threads");
  const { ex, memory } = instantiate(bytes, threaded);
  const g = (n: string): number => {
    const v = ex[n];
    expect(v, `the build exports the constant ${n}`).toBeInstanceOf(WebAssembly.Global);
    return Number((v as WebAssembly.Global).value);
  };

  it("exports exactly EXPORT_ARITY's functions, with its parameter counts", () => {
    const fns = Object.entries(ex).filter(([, v]) => typeof v === "function") as [string, (...a: unknown[]) => unknown][];
    const arity = EXPORT_ARITY as Record<string, number>;
    for (const [n, f] of fns) {
      if (NOT_FOR_THE_FACADE.has(n)) continue;
      expect(arity[n], `export ${n} is listed in src/abi.ts`).toBeDefined();
      expect(f.length, `arity of ${n}`).toBe(arity[n]);
    }
    for (const n of Object.keys(arity)) expect(typeof ex[n], `${n} is exported`).toBe("function");
  });

  it("has the parameter-block layout, job ids, result slots and codes of src/abi.ts", () => {
    expect(g("P_JOB")).toBe(PARAMS.job);
    expect(g("PARAM_BYTES")).toBe(PARAMS.bytes);
    expect(g("JOB_LINEAR")).toBe(JOB.linear);
    expect(g("JOB_SIGMOID")).toBe(JOB.sigmoid);
    for (const [k, off] of Object.entries(SIG)) expect(g(`SIG_${camelToConst(k)}`), `SIG.${k}`).toBe(off);
    expect(g("SIG_PARAM_BYTES")).toBeLessThanOrEqual(PARAMS.bytes);
    expect(g("JOB_DISTILL")).toBe(JOB.distillation);
    for (const [k, off] of Object.entries(DST)) expect(g(`DST_${camelToConst(k)}`), `DST.${k}`).toBe(off);
    expect(g("DST_PARAM_BYTES")).toBeLessThanOrEqual(PARAMS.bytes);
    expect(g("JOB_CE")).toBe(JOB.ce);
    const ceOffsets = new Set<number>();
    for (const [k, off] of Object.entries(CE)) {
      expect(g(`CE_${camelToConst(k)}`), `CE.${k}`).toBe(off);
      ceOffsets.add(off);
    }
    const ceDerived = ["CE_S", "CE_ZS", "CE_WSUM", "CE_W_MODE_EFF", "CE_BLOCKS"];
    for (const d of ceDerived) ceOffsets.add(g(d));
    expect(ceOffsets.size).toBe(Object.keys(CE).length + ceDerived.length);
    for (const off of ceOffsets) expect(off + 8).toBeLessThanOrEqual(g("CE_PARAM_BYTES"));
    expect(g("CE_PARAM_BYTES")).toBeLessThanOrEqual(PARAMS.bytes);
    expect(g("JOB_FOCAL")).toBe(JOB.focal);
    const focOffsets = new Set<number>();
    for (const [k, off] of Object.entries(FOC)) {
      expect(g(`FOC_${camelToConst(k)}`), `FOC.${k}`).toBe(off);
      focOffsets.add(off);
    }
    // the derived fields never overlap the facade's, and all fit
    const focDerived = ["FOC_S", "FOC_ZS", "FOC_W_MODE_EFF", "FOC_CW_EFF", "FOC_BLOCKS"];
    for (const d of focDerived) focOffsets.add(g(d));
    expect(focOffsets.size).toBe(Object.keys(FOC).length + focDerived.length);
    for (const off of focOffsets) expect(off + 8).toBeLessThanOrEqual(g("FOC_PARAM_BYTES"));
    expect(g("FOC_PARAM_BYTES")).toBeLessThanOrEqual(PARAMS.bytes);
    expect(new Set(Object.values(JOB)).size).toBe(Object.keys(JOB).length);
    // calibration, temperatureMoments, smoothTargets: the facade's fields, then the derived ones
    for (const [prefix, block, id, derived] of [
      ["CAL", CAL, JOB.calibration, ["CAL_BLOCK_ROWS", "CAL_BLOCKS", "CAL_COUNT"]],
      ["MOM", MOM, JOB.moments, ["MOM_BLOCK_ROWS", "MOM_BLOCKS", "MOM_COUNT"]],
      ["SMT", SMT, JOB.smooth, ["SMT_BLOCK_ROWS", "SMT_BLOCKS"]],
    ] as const) {
      const jobName = { CAL: "JOB_CALIBRATION", MOM: "JOB_MOMENTS", SMT: "JOB_SMOOTH" }[prefix];
      expect(g(jobName), jobName).toBe(id);
      const offs = new Set<number>();
      for (const [k, off] of Object.entries(block)) {
        expect(g(`${prefix}_${camelToConst(k)}`), `${prefix}.${k}`).toBe(off);
        offs.add(off);
      }
      for (const d of derived) offs.add(g(d));
      expect(offs.size, `${prefix}: no two fields share a slot`).toBe(Object.keys(block).length + derived.length);
      for (const off of offs) {
        expect(off % 8).toBe(0);
        expect(off).toBeGreaterThan(PARAMS.job);
        expect(off + 8).toBeLessThanOrEqual(g(`${prefix}_PARAM_BYTES`));
      }
      expect(g(`${prefix}_PARAM_BYTES`)).toBeLessThanOrEqual(PARAMS.bytes);
    }
    expect(g("CAL_SLOT_BYTES")).toBe(CAL_SLOT_BYTES);
    expect(g("MOM_SLOT_BYTES")).toBe(MOM_SLOT_BYTES);
    const offsets = new Set<number>();
    for (const [k, off] of Object.entries(LCE)) {
      expect(g(`LCE_${camelToConst(k)}`), `LCE.${k}`).toBe(off);
      offsets.add(off);
    }
    // the fields the kernel derives into the block never overlap the facade's, and all fit
    const derived = ["LCE_S", "LCE_ZS", "LCE_WSUM", "LCE_CE_SUM", "LCE_Z_SUM", "LCE_W_MODE_EFF", "LCE_CHUNKS", "LCE_FOCAL_CW_EFF"];
    for (const d of derived) offsets.add(g(d));
    expect(offsets.size).toBe(Object.keys(LCE).length + derived.length);
    for (const off of offsets) {
      expect(off % 8).toBe(0);
      expect(off + 8).toBeLessThanOrEqual(g("LCE_PARAM_BYTES"));
    }
    expect(g("LCE_PARAM_BYTES")).toBeLessThanOrEqual(PARAMS.bytes);
    expect(Math.min(...offsets)).toBeGreaterThan(PARAMS.job);

    expect(g("RESULT_DIVISOR")).toBe(8 * RESULT.divisor);
    expect(g("RESULT_COUNT")).toBe(8 * RESULT.count);
    expect(g("RESULT_LOSS")).toBe(8 * RESULT.loss);
    expect(g("RESULT_COUNT")).toBe(8 * CALIBRATION_RESULT.count);
    expect(g("RESULT_BRIER")).toBe(8 * CALIBRATION_RESULT.brierSum);
    expect(g("RESULT_NLL")).toBe(8 * CALIBRATION_RESULT.nllSum);
    expect(g("RESULT_CONFIDENCE")).toBe(8 * CALIBRATION_RESULT.confidenceSum);
    expect(g("RESULT_HITS")).toBe(8 * CALIBRATION_RESULT.hits);
    expect(g("RESULT_COUNT")).toBe(8 * MOMENTS_RESULT.count);
    expect(g("RESULT_F")).toBe(8 * MOMENTS_RESULT.f);
    expect(g("RESULT_D1")).toBe(8 * MOMENTS_RESULT.d1);
    expect(g("RESULT_D2")).toBe(8 * MOMENTS_RESULT.d2);
    expect(g("RESULT_MAX_ABS")).toBe(8 * MOMENTS_RESULT.maxAbs);
    for (const [k, v] of Object.entries(REDUCE)) expect(g(`REDUCE_${k.toUpperCase()}`), `REDUCE.${k}`).toBe(v);
    for (const [k, v] of Object.entries(WEIGHT)) expect(g(`WEIGHT_${k.toUpperCase()}`), `WEIGHT.${k}`).toBe(v);
  });

  it("threadContextBytes() is the sum of the named region sizes", () => {
    const sizes = ["RESULTS_BYTES", "CE_CALL_BYTES", "LOGS_BYTES", "TILE_BYTES", "GEMM_CTX_BYTES"].map(g);
    for (const s of sizes) {
      expect(s).toBeGreaterThan(0);
      expect(s % 16).toBe(0);
    }
    expect((ex.threadContextBytes as () => number)()).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it("after setThreadContext, no kernel writes below the heap (every writable static region is rebased)", () => {
    const call = (n: string, ...a: number[]): number => (ex[n] as (...x: number[]) => number)(...a);
    const heap = call("heapBase");
    // bump allocator above the heap
    let top = heap;
    const alloc = (bytes: number): number => {
      const p = top;
      top += Math.ceil(bytes / 16) * 16;
      expect(top).toBeLessThan(memory.buffer.byteLength);
      return p;
    };
    const ctx = alloc(call("threadContextBytes"));
    call("setThreadContext", ctx);
    const f32 = (p: number, xs: ArrayLike<number>): number => {
      new Float32Array(memory.buffer, p, xs.length).set(xs);
      return p;
    };
    const i32 = (p: number, xs: ArrayLike<number>): number => {
      new Int32Array(memory.buffer, p, xs.length).set(xs);
      return p;
    };
    let seed = 7;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const logits = (n: number, k: number): number =>
      f32(
        alloc(4 * n * k),
        Array.from({ length: n * k }, () => rnd() * 8 - 4),
      );
    const labels = (n: number, k: number): number =>
      i32(
        alloc(4 * n),
        Array.from({ length: n }, (_, i) => (i % 5 === 4 ? -100 : (i * 7) % k)),
      );
    const before = new Uint8Array(memory.buffer, 0, heap).slice();

    // crossEntropy: the small-K tile (K = 10), the three-pass rows with deferred logs (K = 3001), z-loss rows
    for (const [n, k] of [
      [12, 10],
      [6, 3001],
    ] as const) {
      const z = logits(n, k),
        y = labels(n, k),
        gr = alloc(4 * n * k),
        rl = alloc(4 * n),
        w = f32(
          alloc(4 * k),
          Array.from({ length: k }, () => 0.5 + rnd()),
        );
      for (const lambda of [0, 1e-3]) {
        expect(call("crossEntropyIndex", z, y, n, k, 0.1, 0, -100, w, 1, lambda, 2, gr, 1, rl)).toBe(-1);
        call("crossEntropyProb", z, gr, n, k, 0.1, 0, lambda, 0, alloc(4 * n * k), 1, rl);
      }
      call("logSoftmax", z, gr, n, k);
      call("softmax", z, gr, n, k, 0.5);
      // crossEntropy (index targets, without grad: a scratch row per thread) through its block
      {
        const q0 = alloc(PARAMS.bytes);
        const I1 = new Int32Array(memory.buffer),
          F1 = new Float64Array(memory.buffer);
        const put0 = (off: number, x: number): void => {
          I1[(q0 + off) >>> 2] = x;
        };
        put0(PARAMS.job, JOB.ce);
        put0(CE.z, z);
        put0(CE.t, y);
        put0(CE.n, n);
        put0(CE.k, k);
        put0(CE.kind, 0);
        F1[(q0 + CE.eps) >>> 3] = 0.1;
        put0(CE.ignore, -100);
        put0(CE.w, w);
        put0(CE.wMode, WEIGHT.pytorch);
        F1[(q0 + CE.lambda) >>> 3] = 1e-3;
        put0(CE.reduction, REDUCE.mean);
        put0(CE.g, alloc(4 * k));
        put0(CE.grad, 0);
        put0(CE.slots, alloc(16 * call("ceBlocks", n, k)));
        expect(call("jobRun", q0)).toBe(-1);
      }
      // sigmoidCrossEntropy and distillation through their blocks
      const q = alloc(PARAMS.bytes);
      const I0 = new Int32Array(memory.buffer),
        F0 = new Float64Array(memory.buffer);
      const put = (off: number, x: number): void => {
        I0[(q + off) >>> 2] = x;
      };
      put(PARAMS.job, JOB.sigmoid);
      put(SIG.x, z);
      put(SIG.t, gr);
      put(SIG.count, n * k);
      put(SIG.k, k);
      F0[(q + SIG.eps) >>> 3] = 0.1;
      put(SIG.reduction, REDUCE.mean);
      put(SIG.g, alloc(4 * n * k));
      put(SIG.grad, 1);
      put(SIG.slots, alloc(8 * Math.max(1, n * k)));
      expect(call("jobRun", q)).toBe(-1);
      const q2 = alloc(PARAMS.bytes);
      const put2 = (off: number, x: number): void => {
        I0[(q2 + off) >>> 2] = x;
      };
      put2(PARAMS.job, JOB.distillation);
      put2(DST.s, z);
      put2(DST.t, gr);
      put2(DST.y, y);
      put2(DST.n, n);
      put2(DST.k, k);
      F0[(q2 + DST.temperature) >>> 3] = 2;
      F0[(q2 + DST.alpha) >>> 3] = 0.5;
      F0[(q2 + DST.eps) >>> 3] = 0.1;
      put2(DST.ignore, -100);
      put2(DST.reduction, REDUCE.mean);
      put2(DST.g, alloc(4 * n * k));
      put2(DST.grad, 1);
      put2(DST.scratch, alloc(call("distillScratchBytes", k)));
      put2(DST.slots, alloc(8 * Math.max(1, n)));
      expect(call("jobRun", q2)).toBe(-1);
      // calibration (logits and probabilities), temperatureMoments and smoothTargets through their blocks
      const I = new Int32Array(memory.buffer),
        F = new Float64Array(memory.buffer);
      for (const fromProb of [0, 1]) {
        const p = alloc(PARAMS.bytes);
        I[p >>> 2] = JOB.calibration;
        I[(p + CAL.z) >>> 2] = z;
        I[(p + CAL.y) >>> 2] = y;
        I[(p + CAL.n) >>> 2] = n;
        I[(p + CAL.k) >>> 2] = k;
        F[(p + CAL.temperature) >>> 3] = 1.5;
        I[(p + CAL.fromProb) >>> 2] = fromProb;
        I[(p + CAL.ignore) >>> 2] = -100;
        I[(p + CAL.conf) >>> 2] = alloc(8 * n);
        I[(p + CAL.correct) >>> 2] = alloc(4 * n);
        I[(p + CAL.scratch) >>> 2] = alloc(16 * k);
        I[(p + CAL.slots) >>> 2] = alloc(CAL_SLOT_BYTES * n);
        expect(call("jobRun", p)).toBe(-1);
      }
      const pm = alloc(PARAMS.bytes);
      I[pm >>> 2] = JOB.moments;
      I[(pm + MOM.z) >>> 2] = z;
      I[(pm + MOM.y) >>> 2] = y;
      I[(pm + MOM.n) >>> 2] = n;
      I[(pm + MOM.k) >>> 2] = k;
      I[(pm + MOM.ignore) >>> 2] = -100;
      F[(pm + MOM.beta) >>> 3] = 0.7;
      I[(pm + MOM.slots) >>> 2] = alloc(MOM_SLOT_BYTES * n);
      I[(pm + MOM.scan) >>> 2] = 1;
      expect(call("jobRun", pm)).toBe(-1);
      const ps = alloc(PARAMS.bytes);
      I[ps >>> 2] = JOB.smooth;
      I[(ps + SMT.y) >>> 2] = y;
      I[(ps + SMT.n) >>> 2] = n;
      I[(ps + SMT.k) >>> 2] = k;
      F[(ps + SMT.eps) >>> 3] = 0.1;
      I[(ps + SMT.ignore) >>> 2] = -100;
      I[(ps + SMT.out) >>> 2] = alloc(4 * n * k);
      expect(call("jobRun", ps)).toBe(-1);
    }
    // linearCrossEntropy through its parameter block: narrow gemm panels (V, D not multiples of 8)
    const n = 7,
      d = 13,
      v = 21;
    const p = alloc(PARAMS.bytes);
    const rows = 7;
    const scratch = alloc(call("linearScratchBytes", rows, v, 1));
    const I = new Int32Array(memory.buffer),
      F = new Float64Array(memory.buffer);
    const set = (off: number, x: number): void => {
      I[(p + off) >>> 2] = x;
    };
    set(PARAMS.job, JOB.linear);
    set(LCE.h, logits(n, d));
    set(LCE.w, logits(v, d));
    set(LCE.bias, logits(1, v));
    set(LCE.y, labels(n, v));
    set(LCE.n, n);
    set(LCE.d, d);
    set(LCE.v, v);
    set(LCE.layout, 0);
    F[(p + LCE.eps) >>> 3] = 0.1;
    set(LCE.ignore, -100);
    F[(p + LCE.lambda) >>> 3] = 0;
    set(LCE.reduction, REDUCE.mean);
    set(LCE.chunkRows, rows);
    set(LCE.scratch, scratch);
    set(LCE.grad, 1);
    set(LCE.gh, alloc(4 * n * d));
    set(LCE.gw, alloc(4 * v * d));
    set(LCE.gb, alloc(4 * v));
    expect(call("jobRun", p)).toBe(-1);
    const loss = new Float64Array(memory.buffer)[(call("resultsPtr") + 8 * RESULT.loss) >>> 3]!;
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    // ... and with the focal option (FLSD-53, a per-class α)
    set(LCE.focal, 1);
    F[(p + LCE.gamma) >>> 3] = 3;
    set(LCE.schedule, FOCAL_SCHEDULE.flsd53);
    F[(p + LCE.falpha) >>> 3] = 1;
    set(
      LCE.falphaV,
      f32(
        alloc(4 * v),
        Array.from({ length: v }, () => rnd()),
      ),
    );
    set(LCE.focalCw, alloc(4 * v));
    expect(call("jobRun", p)).toBe(-1);

    // crossEntropy's focal option through its block: index targets with weights, then probabilities
    for (const index of [1, 0]) {
      const fn = 9,
        fk = 1003;
      const q = alloc(PARAMS.bytes);
      const put = (off: number, x: number): void => {
        I[(q + off) >>> 2] = x;
      };
      put(PARAMS.job, JOB.focal);
      put(FOC.z, logits(fn, fk));
      put(FOC.t, index ? labels(fn, fk) : logits(fn, fk));
      put(FOC.n, fn);
      put(FOC.k, fk);
      put(FOC.index, index);
      put(
        FOC.w,
        f32(
          alloc(4 * fk),
          Array.from({ length: fk }, () => 0.5 + rnd()),
        ),
      );
      put(FOC.wMode, WEIGHT.pytorch);
      F[(q + FOC.alpha) >>> 3] = 0.25;
      F[(q + FOC.gamma) >>> 3] = 1.5;
      F[(q + FOC.eps) >>> 3] = 0.1;
      F[(q + FOC.lambda) >>> 3] = 1e-3;
      put(FOC.ignore, -100);
      put(FOC.reduction, REDUCE.none);
      put(FOC.g, alloc(4 * fn * fk));
      put(FOC.grad, 1);
      put(FOC.rowLoss, alloc(4 * fn));
      put(FOC.cw, alloc(4 * fk));
      put(FOC.scratch, alloc(call("focalScratchBytes", fk)));
      put(FOC.slots, alloc(16 * call("ceBlocks", fn, fk)));
      expect(call("jobRun", q)).toBe(-1);
    }
    // sigmoidCrossEntropy's focal option through its block
    {
      const q = alloc(PARAMS.bytes);
      const put = (off: number, x: number): void => {
        I[(q + off) >>> 2] = x;
      };
      put(PARAMS.job, JOB.sigmoid);
      put(SIG.x, logits(5, 7));
      put(SIG.t, logits(5, 7));
      put(SIG.count, 35);
      put(SIG.k, 7);
      put(SIG.g, alloc(4 * 35));
      put(SIG.grad, 1);
      put(SIG.reduction, REDUCE.mean);
      put(SIG.slots, alloc(8));
      put(SIG.focal, 1);
      F[(q + SIG.gamma) >>> 3] = 2;
      F[(q + SIG.falpha) >>> 3] = 0.25;
      put(SIG.balance, 1);
      expect(call("jobRun", q)).toBe(-1);
    }

    const after = new Uint8Array(memory.buffer, 0, heap);
    let first = -1;
    for (let i = 0; i < heap; i++)
      if (after[i] !== before[i]) {
        first = i;
        break;
      }
    expect(first, "first byte written below the heap after setThreadContext").toBe(-1);
    // the results really moved into the context block
    expect(call("resultsPtr")).toBe(ctx);
  });
});
