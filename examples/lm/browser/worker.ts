// Trains the next-word model (../model.ts) in a Worker and reports loss, step time and wasm memory.
import * as tf from "@tensorflow/tfjs";
import { backendInfo, init } from "softxent";
import { trainKeras } from "../keras.js";
import { decodeCorpus, NextWordModel } from "../model.js";

export interface LmMessage {
  text: string;
  done?: boolean;
}

const say = (text: string, done = false) => (self as unknown as Worker).postMessage({ text, done } satisfies LmMessage);

async function corpus(): Promise<{ vocab: string[]; ids: Uint16Array }> {
  const res = await fetch(new URL("./brown-20002.bin.gz", self.location.href.replace(/assets\/[^/]*$/, "")));
  if (!res.ok || !res.body) throw new Error(`corpus: HTTP ${res.status}`);
  const bytes = new Uint8Array(await new Response(res.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer());
  return decodeCorpus(bytes);
}

self.onmessage = async (e: MessageEvent<{ steps: number }>) => {
  try {
    await init();
    const { vocab, ids } = await corpus();
    const info = backendInfo();
    say(`softxent ${info.version}, ${info.build} build; Brown corpus ${ids.length} tokens, vocabulary ${vocab.length}`);
    const split = Math.floor(ids.length * 0.95);
    const model = new NextWordModel(ids, { vocab: vocab.length, dim: 128, batch: 512, lr: 4, embeddingLr: 50 });
    const evalAt = Int32Array.from({ length: 512 }, (_, i) => split + 2 + Math.floor(((i + 0.5) / 512) * (ids.length - split - 3)));
    model.batch(0, 0, evalAt);
    say(`held-out loss before training ${model.loss().toFixed(3)}`);
    let head = 0,
      total = 0;
    const t0 = performance.now();
    for (let s = 1; s <= e.data.steps; s++) {
      const r = model.step(0, split);
      if (s > 1) head += r.headMs;
      if (s === 1 || s % 10 === 0 || s === e.data.steps) {
        say(`step ${s}: batch loss ${r.loss.toFixed(3)}, fused head ${r.headMs.toFixed(0)} ms`);
        await new Promise((ok) => setTimeout(ok, 0));
      }
    }
    total = performance.now() - t0;
    model.batch(0, 0, evalAt);
    const after = model.loss();
    const steps = Math.max(1, e.data.steps - 1);
    say(`held-out loss after ${e.data.steps} steps ${after.toFixed(3)} (perplexity ${Math.exp(after).toFixed(0)})`);
    const the = vocab.indexOf("the"),
      end = vocab.indexOf("</s>");
    say(
      `"</s> the …" → ${model
        .predict(end, the, 5)
        .map((j) => vocab[j])
        .join(", ")}`,
    );
    const memory = (backendInfo().memoryBytes / 2 ** 20).toFixed(1);
    // The same task as a TF.js Layers model trained with model.fit, ending in softmaxHead (TF.js's
    // cpu backend: no TF.js wasm files to ship with the page).
    await tf.setBackend("cpu");
    const k = await trainKeras(tf, ids, model.E, {
      vocab: vocab.length,
      dim: 128,
      batch: 128,
      steps: Math.max(2, Math.min(e.data.steps, 20)),
      lo: 0,
      hi: split,
      evalAt: evalAt.subarray(0, 128),
    });
    say(
      `TF.js Layers (the embeddings above → Dense(128, tanh) → softmaxHead), model.fit, cpu backend, ${k.steps} steps of 128: held-out loss ${k.lossBefore.toFixed(3)} → ${k.lossAfter.toFixed(3)}, ${k.stepMs.toFixed(0)} ms per step`,
    );
    say(
      `mean fused-head time ${(head / steps).toFixed(0)} ms per step, whole step ${(total / e.data.steps).toFixed(0)} ms; wasm memory ${memory} MiB`,
      true,
    );
  } catch (err) {
    say(`error: ${(err as Error).message}`, true);
  }
};
