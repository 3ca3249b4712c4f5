// One peer's process (started by peers-main.ts): runs comparePeer (peer-compare.ts) and writes the
// PeerRun (bench/types.ts) as JSON to the file named in its config.
//
// Why a process per peer: onnxruntime-web defines a global `Worker` in Node when a session is
// created, which breaks other wasm libraries loaded after it; and a library that ran earlier in a
// process must not tax the next one's numbers (JIT state, heap size, GC pressure).
//
// Usage (internal): node --expose-gc build/bench/peer-run.js '<JSON of RunConfig>'

import { writeFileSync } from "node:fs";
import { comparePeer, errorText, type RunConfig } from "./peer-compare.js";
import type { PeerRun } from "./types.js";

const config = JSON.parse(process.argv[2] ?? "null") as RunConfig | null;
if (!config) {
  console.error("usage (internal, see peers-main.ts): node peer-run.js '<JSON config>'");
  process.exit(2);
}
let out: PeerRun;
try {
  out = await comparePeer(config);
} catch (err) {
  out = {
    peer: config.peer,
    label: config.peer,
    describe: "",
    versions: {},
    status: "failed",
    error: errorText(err),
    rows: [],
    notes: [],
  };
}
writeFileSync(config.out, JSON.stringify(out) + "\n");
// onnxruntime-web may leave a worker or handle open: the result is written, end the process.
process.exit(0);
