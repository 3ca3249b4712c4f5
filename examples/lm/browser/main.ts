// The page: starts the worker, prints what it reports.
import type { LmMessage } from "./worker.js";

const log = document.getElementById("log") as HTMLPreElement;
const form = document.getElementById("controls") as HTMLFormElement;
const steps = document.getElementById("steps") as HTMLInputElement;
let worker: Worker | null = null;

form.addEventListener("submit", (ev) => {
  ev.preventDefault();
  worker?.terminate();
  log.textContent = "";
  worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (e: MessageEvent<LmMessage>) => {
    log.textContent += e.data.text + "\n";
    if (e.data.done) document.body.dataset.state = "done";
  };
  worker.onerror = (e) => {
    log.textContent += `error: ${e.message}\n`;
    document.body.dataset.state = "error";
  };
  document.body.dataset.state = "running";
  worker.postMessage({ steps: Number(steps.value) });
});
