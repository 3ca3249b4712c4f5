// A module Web Worker running the parity cases. Import maps do not reach workers, so it loads
// softxent from /esm/, which the test server serves with the one bare import rewritten (as a CDN does).
import * as softxent from "/esm/index.js";
import { runCases } from "/run-cases.js";

self.onmessage = async (e) => {
  try {
    postMessage({ ok: true, inWorker: typeof window === "undefined", ...(await runCases(softxent, e.data.simd, e.data.cases)) });
  } catch (err) {
    postMessage({ ok: false, error: `${err?.name}: ${err?.message}` });
  }
};
