/**
 * linearCrossEntropy's sizes, on every build and on a threaded instance:
 * the chunk scratch is sized in 64-bit by the core and by the facade, near the 2^31- and 2^32-byte
 * boundaries (computed, not allocated); a chunk or a call wasm32 cannot hold is a RangeError naming
 * the argument and the limit, thrown before anything is allocated; an empty batch allocates no chunk;
 * a growing scratch slot frees its old block, before taking the larger one.
 */
import { afterAll, describe, expect, it } from "vitest";
import { allocFloat32, allocInt32, backendInfo, initSync, linearCrossEntropy } from "../../dist/index.js";
import { heapOrNull } from "../../dist/memory.js";
import { PARAMS } from "../../dist/abi.js";
import { INSTANCES, scratchOf } from "../helpers/linear-edges.js";

afterAll(() => initSync({ threads: 1 }));

/** The chunk scratch holds a row and a packing area per thread of the instance. */
const threadsOf = (init: object): number => ("threads" in init ? (init.threads as number) : 1);

describe.each(INSTANCES)("linearCrossEntropy sizes — $name", ({ init }) => {
  it("the core sizes the chunk scratch exactly near 2^31 and 2^32 bytes (computed, not allocated)", () => {
    initSync(init);
    const ex = heapOrNull()!.exports;
    const cases: [number, number][] = [
      [23166, 23170], // the audit's case: 2^31 − 458768 bytes of logits, 2^31 + 158200 in all
      [1, 2 ** 29 - 4], // one row just under 2^31 of logits
      [1, 2 ** 29], // 2^31 exactly
      [1, 2 ** 29 + 4],
      [1, 2 ** 30 - 1], // the row alone near 2^32
      [1, 2 ** 30], // past 2^32: a usize would wrap to the packing area alone
      [65536, 8192], // 2^31 of logits from many rows
      [65536, 16384], // 2^32
      [2 ** 31 - 1, 2 ** 31 - 1], // the largest inputs: 2^64 − 2^34 + 4, past every limit
    ];
    for (const [rows, v] of cases)
      for (const threads of [1, 3]) {
        const want = scratchOf(rows, v, threads);
        const got = ex.linearScratchBytes(rows, v, threads);
        // above 2^53 the f64 the core returns is the nearest double: still far past any limit
        if (want <= Number.MAX_SAFE_INTEGER) expect(got, `${rows} × ${v}`).toBe(want);
        else expect(got / want, `${rows} × ${v}`).toBeCloseTo(1, 12);
      }
  });

  it("a chunk wasm32 cannot hold is a RangeError naming classes, chunkBytes and the limit; nothing is written", () => {
    initSync(init);
    // V = 2^29 + 16, D = 1: one row of logits is 2 GiB, the chunk (logits and a row) past 4 GiB.
    // The arrays are never touched (zero pages: no memory is committed).
    const v = 2 ** 29 + 16;
    const weight = new Float32Array(v);
    const before = backendInfo().memoryBytes;
    expect(() => linearCrossEntropy(new Float32Array(1), weight, new Int32Array(1), { classes: v })).toThrow(
      new RegExp(
        `^softxent\\.linearCrossEntropy: one chunk of 1 row\\(s\\) × classes = ${v} needs ${scratchOf(1, v, threadsOf(init))} bytes of scratch .*more than wasm32 can hold \\(\\d+ bytes\\); lower options\\.chunkBytes \\(received 33554432\\), or use fewer classes`,
      ),
    );
    expect(() => linearCrossEntropy(new Float32Array(1), weight, new Int32Array(1), { classes: v })).toThrow(RangeError);
    expect(backendInfo().memoryBytes).toBe(before);
  });

  it("a call wasm32 cannot hold in all is a RangeError with its byte count, before any allocation", () => {
    initSync(init);
    // V = 2.7e8, D = 1: the chunk (2.16 GB) fits, but with the weight's copy and its gradient the call
    // needs 4.3 GB. The audit saw a raw "RuntimeError: memory access out of bounds" here.
    const v = 270_000_000;
    const weight = new Float32Array(v);
    const before = backendInfo().memoryBytes;
    const need = 4 * v + 4 * v + scratchOf(1, v, threadsOf(init)) + 4 + 4 + 4 + PARAMS.bytes; // weight copy, gradWeight, chunk, hidden, target, gradHidden, the parameter block
    expect(() => linearCrossEntropy(new Float32Array(1), weight, new Int32Array(1), { classes: v })).toThrow(
      new RegExp(
        `^softxent\\.linearCrossEntropy: this call needs ${need} bytes of wasm memory .*${scratchOf(1, v, threadsOf(init))} bytes of chunk scratch for 1 row\\(s\\) of classes = ${v}\\), more than wasm32 can hold .*resident buffers .*chunkBytes`,
      ),
    );
    expect(backendInfo().memoryBytes).toBe(before);
    // and the instance keeps working
    const r = linearCrossEntropy(new Float32Array([1, 2]), new Float32Array([0.5, -0.5]), new Int32Array([0, 1]), { classes: 2 });
    expect(Number.isFinite(r.loss)).toBe(true);
  });

  it("an empty batch allocates no chunk", () => {
    initSync(init);
    const V = 1_000_000;
    const weight = allocFloat32(V),
      gradWeight = allocFloat32(V),
      hidden = allocFloat32(0),
      labels = allocInt32(0),
      gradHidden = allocFloat32(0);
    gradWeight.view.fill(7);
    const before = backendInfo().allocatedBytes;
    for (const reduction of ["mean", "sum", "none"] as const) {
      const r = linearCrossEntropy(hidden, weight, labels, { classes: V, gradWeight, gradHidden, reduction });
      expect(reduction === "none" ? (r.loss as Float32Array).length : r.loss).toBe(0);
    }
    // one row of V = 1e6 would be 8 MB of chunk; what remains is the small slots of the call (loss, labels)
    expect(backendInfo().allocatedBytes - before).toBeLessThan(4096);
    expect(gradWeight.view.every((g) => g === 0)).toBe(true);
    for (const b of [weight, gradWeight, hidden, labels, gradHidden]) b.release();
  });

  it("a growing scratch slot frees its old block, before taking the larger one", () => {
    initSync(init); // a fresh instance: the chunk is the last block, at the top of memory
    const V = 2000,
      D = 4,
      N = 2400;
    const hidden = allocFloat32(N * D),
      weight = allocFloat32(V * D),
      labels = allocInt32(N),
      gradHidden = allocFloat32(N * D),
      gradWeight = allocFloat32(V * D);
    hidden.view.fill(0.25);
    weight.view.fill(-0.5);
    labels.view.fill(3);
    const call = (rows: number) =>
      linearCrossEntropy(hidden, weight, labels, { classes: V, gradHidden, gradWeight, chunkBytes: 4 * V * rows });
    call(1002); // an 8 MB chunk
    const mem0 = backendInfo().memoryBytes,
      alloc0 = backendInfo().allocatedBytes;
    const loss = call(2004).loss; // a 16 MB chunk: the 8 MB block is freed, and its bytes reused
    expect(backendInfo().allocatedBytes - alloc0).toBe(scratchOf(2004, V) - scratchOf(1002, V));
    // allocating first would hold both: the memory grows by the whole 16 MB instead of the 8 MB difference
    expect(backendInfo().memoryBytes - mem0).toBeLessThanOrEqual(scratchOf(2004, V) - scratchOf(1002, V) + 65536);
    expect(loss).toBeCloseTo(Math.log(V), 5); // every logit is the same: ln V
    for (const b of [hidden, weight, labels, gradHidden, gradWeight]) b.release();
  });
});
