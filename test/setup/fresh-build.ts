// vitest globalSetup: the suites import the build (dist/), not src/. Before any suite runs, make sure
// dist/ is at least as new as every source it is built from; if not (a plain `npx vitest` after editing
// src/ or assembly/), rebuild it and say so, instead of silently testing a stale build.
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

function newest(dir: string, acc = 0): number {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) acc = newest(p, acc);
    else if (e.name.endsWith(".ts")) acc = Math.max(acc, statSync(p).mtimeMs);
  }
  return acc;
}

/** The oldest output a suite depends on, or 0 when one is missing. */
function oldestOutput(): number {
  const outs = [
    "dist/index.js",
    "dist/reference/index.js",
    "dist/tfjs.js",
    "dist/wasm/softxent.simd.wasm",
    "dist/wasm/softxent.scalar.wasm",
    "dist/wasm/softxent.relaxed.wasm",
  ].map((p) => join(root, p));
  if (!outs.every(existsSync)) return 0;
  return Math.min(...outs.map((p) => statSync(p).mtimeMs));
}

export default function setup(): void {
  const sources = Math.max(
    newest(join(root, "src")),
    newest(join(root, "assembly")),
    statSync(join(root, "asconfig.json")).mtimeMs,
    statSync(join(root, "tsconfig.build.json")).mtimeMs,
  );
  const built = oldestOutput();
  if (built >= sources) return;
  console.log(
    built === 0
      ? "softxent tests: dist/ is missing; building it (npm run build)"
      : "softxent tests: dist/ is older than src/ or assembly/; rebuilding it (npm run build)",
  );
  execFileSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
}
