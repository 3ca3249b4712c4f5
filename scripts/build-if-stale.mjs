// `npm run build` when dist/ is missing or older than what it is built from; nothing otherwise.
// Run by npm's `prepare` (after `npm ci` / `npm install` in a clone, and in the temporary clone npm
// makes for `npm install git+…`) and, with --clean, by `prepack` (dist/ removed and rebuilt, so a
// tarball never carries leftovers of a deleted source file). npm runs prepack and then prepare for
// `npm pack`: the second finds dist/ fresh and does not build twice.
// Run: node scripts/build-if-stale.mjs [--clean]
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const clean = process.argv.includes("--clean");

/** Newest mtime of the .ts files under dir. */
function newest(dir, acc = 0) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) acc = newest(p, acc);
    else if (e.name.endsWith(".ts")) acc = Math.max(acc, statSync(p).mtimeMs);
  }
  return acc;
}

/** Oldest of the outputs the package's entry points need (0 when one is missing). */
function oldestOutput() {
  const builds = ["relaxed", "simd", "scalar", "relaxed-threads", "simd-threads", "scalar-threads"];
  const outs = [
    "dist/index.js",
    "dist/index.d.ts",
    "dist/reference/index.js",
    "dist/tfjs.js",
    "dist/threads/worker.js",
    ...builds.map((b) => `dist/wasm/softxent.${b}.wasm`),
  ].map((p) => join(root, p));
  if (!outs.every((p) => existsSync(p))) return 0;
  return Math.min(...outs.map((p) => statSync(p).mtimeMs));
}

const sources = Math.max(
  newest(join(root, "src")),
  newest(join(root, "assembly")),
  ...["asconfig.json", "tsconfig.json", "tsconfig.build.json"].map((f) => statSync(join(root, f)).mtimeMs),
);

if (clean) {
  rmSync(join(root, "dist"), { recursive: true, force: true });
} else if (oldestOutput() >= sources) {
  console.log("softxent: dist/ is up to date (npm run build to rebuild it anyway)");
  process.exit(0);
}
if (!existsSync(join(root, "node_modules", "assemblyscript")) || !existsSync(join(root, "node_modules", "typescript"))) {
  console.error("softxent: building dist/ needs the devDependencies (assemblyscript, typescript); run `npm ci` (without --omit=dev) first");
  process.exit(1);
}
console.log(clean ? "softxent: clean build of dist/ (npm run build)" : "softxent: dist/ is missing or stale; building it (npm run build)");
execFileSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
