// A module Web Worker that trains with a thread pool (docs/spec.md "Threads": training belongs in a
// Worker, where the calling thread sleeps in Atomics.wait instead of spinning). softxent comes from
// /esm/ (the bare import rewritten: import maps do not reach workers); its pool's Workers start from
// this Worker. Answers { ok, threads, workerBlocks, equal } for a 1-thread / 2-thread comparison.
import * as softxent from "/esm/index.js";
import * as mem from "/esm/memory.js";

self.onmessage = async () => {
  try {
    const N = 64,
      K = 4000;
    const z = new Float32Array(N * K),
      y = new Int32Array(N);
    let s = 999;
    for (let e = 0; e < z.length; e++) {
      s = (s * 1103515245 + 12345) >>> 0;
      z[e] = (s / 2 ** 32) * 12 - 6;
    }
    for (let i = 0; i < N; i++) y[i] = (i * 7919) % K;
    const run = () => {
      const r = softxent.crossEntropy(z, y, { classes: K, smoothing: 0.1 });
      return { loss: r.loss, grad: new Uint32Array(r.grad.buffer) };
    };
    await softxent.init({ threads: 1 });
    const one = run();
    await softxent.init({ threads: 2 });
    let workerBlocks = 0;
    for (let i = 0; i < 40 && workerBlocks === 0; i++) {
      run();
      workerBlocks = mem.heapOrNull().currentPool()?.lastWorkerBlocks ?? 0;
      await new Promise((r) => setTimeout(r, 50));
    }
    const two = run();
    const equal = Object.is(one.loss, two.loss) && one.grad.every((v, i) => v === two.grad[i]);
    postMessage({ ok: true, inWorker: typeof window === "undefined", threads: softxent.backendInfo().threads, workerBlocks, equal });
  } catch (err) {
    postMessage({ ok: false, error: `${err?.name}: ${err?.message}` });
  }
};
