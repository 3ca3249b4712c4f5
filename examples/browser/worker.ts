// The trainer in a Web Worker: loads softxent and the digits, trains the runs side by side (an epoch
// of each in turn) and posts progress, curves and the final evaluation to the page.
import { backendInfo, init } from "softxent";
import { decodeDataset, split, type Dataset } from "../trainer/data.js";
import { DEFAULT_LEARNING_RATE, DEFAULTS, TrainingRun } from "../trainer/train.js";
import type { StartMessage, WorkerMessage } from "./messages.js";

const post = (m: WorkerMessage) => (self as unknown as Worker).postMessage(m);

async function loadDigits(url: string): Promise<Dataset> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`loading ${url} failed: HTTP ${res.status}`);
  let bytes = new Uint8Array(await res.arrayBuffer());
  // gzip'd unless the server already decoded it (Content-Encoding)
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return decodeDataset(bytes);
}

async function run(msg: StartMessage): Promise<void> {
  const t0 = performance.now();
  await init();
  const info = backendInfo();
  const data = split(await loadDigits(msg.dataUrl), { seed: msg.seed, subset: msg.subset });
  const config = { ...DEFAULTS, model: msg.model, epochs: msg.epochs, learningRate: DEFAULT_LEARNING_RATE[msg.model], seed: msg.seed };
  const runs = [
    ...msg.smoothings.map((smoothing) => new TrainingRun(data, { ...config, smoothing })),
    ...msg.focals.map((gamma) => new TrainingRun(data, { ...config, smoothing: 0, focal: { gamma } })),
  ];
  post({
    type: "ready",
    backend: `softxent ${info.version}, ${info.build} build`,
    split: { train: data.train.count, validation: data.validation.count, test: data.test.count },
    model: runs[0]!.model.describe(),
  });
  for (let epoch = 1; epoch <= msg.epochs; epoch++) {
    runs.forEach((r, i) => {
      let sent = r.trace.length;
      let last = 0;
      const record = r.trainEpoch((done, total, loss) => {
        const now = performance.now();
        if (now - last < 100 && done < total) return;
        last = now;
        post({ type: "progress", run: i, epoch, done, total, loss, trace: r.trace.slice(sent) });
        sent = r.trace.length;
      });
      post({ type: "epoch", run: i, record, trace: r.trace.slice() });
    });
  }
  post({ type: "evaluating" });
  for (const [i, r] of runs.entries()) post({ type: "evaluation", run: i, evaluation: r.evaluate() });
  for (const r of runs) r.release();
  post({ type: "done", seconds: (performance.now() - t0) / 1000 });
}

self.onmessage = (e: MessageEvent<StartMessage>) => {
  if (e.data?.type !== "start") return;
  run(e.data).catch((err: unknown) => post({ type: "error", message: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }));
};
