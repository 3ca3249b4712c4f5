// Builds the wasm core three times from one source: relaxed SIMD (fused multiply-add, used only where
// the engine validates it), SIMD, and scalar (ASC_FEATURE_RELAXED_SIMD / ASC_FEATURE_SIMD decide the
// branches). Outputs go to dist/wasm/ (shipped) and build/ (text format, for reading).
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const asc = join(root, "node_modules", "assemblyscript", "bin", "asc.js");
mkdirSync(join(root, "dist", "wasm"), { recursive: true });
mkdirSync(join(root, "build"), { recursive: true });
// The -threads targets import one shared memory (maximum 4 GiB) for a worker pool (docs/spec.md "Threads").
for (const target of ["relaxed", "simd", "scalar", "relaxed-threads", "simd-threads", "scalar-threads"]) {
  execFileSync(process.execPath, [asc, "assembly/index.ts", "--config", "asconfig.json", "--target", target], {
    cwd: root,
    stdio: "inherit",
  });
}
