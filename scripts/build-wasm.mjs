// Builds the wasm core three times from one source: relaxed SIMD (fused multiply-add, used only where
// the engine validates it), SIMD, and scalar (ASC_FEATURE_RELAXED_SIMD / ASC_FEATURE_SIMD decide the
// branches). Outputs go to dist/wasm/ (shipped) and build/ (text format, for reading).
//
// asc's stderr is passed through except one line: "Last converge was suboptimal." asconfig.json sets
// `converge: true`, so asc re-runs binaryen's optimizer until the binary stops shrinking; it prints that
// notice when the last round made the module a few bytes larger than the round before (and stops). It
// is a notice, not a warning or an error: the module is valid and fully optimized, and every build
// prints it, so it is dropped here rather than repeated six times on every build, test and demo.
import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
mkdirSync(join(root, "dist", "wasm"), { recursive: true });
mkdirSync(join(root, "build"), { recursive: true });
// The -threads targets import one shared memory (maximum 4 GiB) for a worker pool (docs/spec.md "Threads").
for (const target of ["relaxed", "simd", "scalar", "relaxed-threads", "simd-threads", "scalar-threads"]) {
  const run = spawnSync(process.execPath, [asc, "assembly/index.ts", "--config", "asconfig.json", "--target", target], {
    cwd: root,
    stdio: ["ignore", "inherit", "pipe"],
    encoding: "utf8",
  });
  process.stderr.write(run.stderr.replace(/^Last converge was suboptimal\.\r?\n/gm, ""));
  if (run.status !== 0) {
    console.error(`asc failed for target ${target} (exit ${run.status ?? run.signal})`);
    process.exit(1);
  }
}
