// The package as a user gets it, from a fresh clone of the committed tree (uncommitted edits are not
// in it, as they would not be in a published package):
//  1. git clone → `npm ci` (its `prepare` builds dist/) → `npm pack` (its `prepack` rebuilds dist/ clean);
//     the tarball's size and file count are printed.
//  2. The tarball installed by name in a scratch project ("dependencies": { "softxent": "file:…tgz" }):
//     - every relative link of the installed README.md and docs/*.md resolves inside the package;
//     - every js/ts block of the installed README.md and docs/*.md runs (scripts/doctest.mjs --project),
//       the README's ten lines first among them, with softxent/tfjs for the TF.js blocks;
//     - softxent/reference runs; require("softxent"), require("softxent/tfjs") and
//       require("softxent/reference") work from CommonJS;
//     - a strict TypeScript consumer (strict, noUncheckedIndexedAccess, skipLibCheck: false) type-checks
//       under moduleResolution node16 and bundler, gradients used without `!`;
//     - @arethetypeswrong/cli is clean under node10 (typesVersions), node16 and bundler, except its
//       cjs-resolves-to-esm rule (the Node versions package.json admits load ES modules with require(),
//       checked above; attw 0.18's TypeScript 5.6 does not model that).
//  3. `npm install git+file://<clone>#<commit>` in another scratch project (npm runs `prepare` in its
//     own clone, nothing by hand), then the ten lines.
// Network: the npm registry only (or npm's cache): @assemblyscript/loader, the clone's devDependencies,
// @arethetypeswrong/cli. TF.js and TypeScript come from this checkout's node_modules.
// Run: node scripts/pack-check.mjs [--keep] [--no-git] [--no-attw] [--tarball <file.tgz>]
//   (--tarball: skip step 1 and check that tarball instead, e.g. one kept by --keep)
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const given = process.argv.includes("--tarball") ? resolve(process.argv[process.argv.indexOf("--tarball") + 1]) : null;
const work = mkdtempSync(join(tmpdir(), "softxent-pack-check-"));
const started = performance.now();
let failures = 0;

function step(title) {
  console.log(`\n== ${title} (${((performance.now() - started) / 1000).toFixed(0)} s)`);
}

/** Runs a command; its output is shown when it fails (or always with { show: true }). */
function sh(cmd, argv, cwd, { show = false, env = {}, allowFail = false } = {}) {
  const r = spawnSync(cmd, argv, { cwd, encoding: "utf8", env: { ...process.env, ...env }, maxBuffer: 64 << 20 });
  const out = `${r.stdout ?? ""}${r.stderr ?? ""}`;
  if (r.status !== 0) {
    if (!allowFail) {
      console.error(`✗ ${cmd} ${argv.join(" ")} (in ${cwd}) exited ${r.status ?? r.signal}\n${out}`);
      failures++;
    }
  } else if (show) console.log(out.trimEnd());
  return { ok: r.status === 0, out, stdout: r.stdout ?? "" };
}

function check(ok, what) {
  console.log(`${ok ? "✓" : "✗"} ${what}`);
  if (!ok) failures++;
}

const npmQuiet = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];

/** A scratch ES-module project. */
function project(name) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), `${JSON.stringify({ name: `scratch-${name}`, private: true, type: "module" }, null, 2)}\n`);
  return dir;
}

/** The README's first js block: the ten lines. */
function tenLines(readme) {
  const m = /```js\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error("README.md has no js block");
  return m[1];
}

try {
  // ---------------------------------------------------------------- 1. clone, npm ci, npm pack
  const commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
  const meta = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  if (!meta.repository || !meta.homepage || !meta.bugs) {
    // No public repository exists yet: no placeholder URL is written. The README's links work inside the
    // package (docs/ ships with it), so nothing depends on these fields but the registry page.
    console.log("note: package.json has no repository / homepage / bugs yet: set them when the repository is public, before publishing");
  }
  let tarball = given;
  if (tarball === null) {
    step("fresh clone → npm ci → npm pack");
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { cwd: root, encoding: "utf8" }).trim();
    if (dirty) console.log(`note: uncommitted changes are not checked (the clone is of ${commit.slice(0, 7)})`);
    const clone = join(work, "clone");
    sh("git", ["clone", "--quiet", "--no-checkout", root, clone], work);
    sh("git", ["checkout", "--quiet", commit], clone);
    sh("npm", ["ci", ...npmQuiet], clone);
    check(existsSync(join(clone, "dist/index.js")), "npm ci in the clone built dist/ (prepare)");
    const packed = sh("npm", ["pack", "--json", "--pack-destination", work], clone);
    // stdout carries the prepack build's output before npm's JSON
    const info = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[\s*\{\s*"id"/m)))[0];
    tarball = join(work, info.filename);
    console.log(
      `packed: ${info.filename}, ${(info.size / 1000).toFixed(1)} kB packed, ${(info.unpackedSize / 1000).toFixed(1)} kB unpacked, ${info.entryCount} files`,
    );
    const shipped = new Set(info.files.map((f) => f.path));
    for (const p of [
      "dist/index.js",
      "dist/tfjs.js",
      "dist/reference/index.js",
      "dist/threads/worker.js",
      "README.md",
      "LICENSE",
      "CHANGELOG.md",
    ]) {
      check(shipped.has(p), `the tarball has ${p}`);
    }
    check([...shipped].filter((p) => p.endsWith(".wasm")).length === 6, "the tarball has the six wasm builds");
  }

  // ---------------------------------------------------------------- 2. installed by name
  step("the tarball installed by name in a scratch project");
  const app = project("app");
  sh("npm", ["install", ...npmQuiet, tarball], app);
  const pkgDir = join(app, "node_modules", "softxent");
  // TF.js for the TF.js blocks, and nothing else, from this checkout (a user installs their own).
  mkdirSync(join(app, "node_modules", "@tensorflow"), { recursive: true });
  for (const name of readdirSync(join(root, "node_modules", "@tensorflow"))) {
    symlinkSync(join(root, "node_modules", "@tensorflow", name), join(app, "node_modules", "@tensorflow", name), "dir");
  }
  // and the type packages tfjs-core depends on (its .d.ts use them), as an install of @tensorflow/tfjs has them
  mkdirSync(join(app, "node_modules", "@types"), { recursive: true });
  for (const name of ["long", "offscreencanvas", "seedrandom"]) {
    symlinkSync(join(root, "node_modules", "@types", name), join(app, "node_modules", "@types", name), "dir");
  }
  const docs = [
    join(pkgDir, "README.md"),
    join(pkgDir, "CHANGELOG.md"),
    ...readdirSync(join(pkgDir, "docs"))
      .filter((f) => f.endsWith(".md"))
      .map((f) => join(pkgDir, "docs", f)),
  ];

  const links = sh(process.execPath, [join(root, "scripts/check-links.mjs"), "--links-only", ...docs], app, { show: true });
  check(links.ok, "every relative link and image of the installed README.md and docs/*.md resolves inside the package");

  const ten = join(app, "ten-lines.mjs");
  writeFileSync(ten, tenLines(readFileSync(join(pkgDir, "README.md"), "utf8")));
  const tenRun = sh(process.execPath, [ten], app);
  check(
    tenRun.ok && /^\d+\.\d+/.test(tenRun.out) && tenRun.out.includes("Float32Array(6)"),
    "the README's ten lines print a loss and a gradient",
  );

  const doctest = sh(process.execPath, [join(root, "scripts/doctest.mjs"), "--project", app, ...docs], app, { show: true });
  check(doctest.ok, "every js/ts block of the installed README.md and docs/*.md runs");

  writeFileSync(
    join(app, "reference.mjs"),
    `import * as ref from "softxent/reference";
const r = ref.crossEntropy(new Float64Array([2, 0.5, -1, 0.1, 0.2, 3]), new Int32Array([0, 2]), { classes: 3, smoothing: 0.1 });
if (!(Math.abs(r.loss - 0.34545638) < 1e-6)) throw new Error("reference loss " + r.loss);
console.log("reference", r.loss);
`,
  );
  check(sh(process.execPath, ["reference.mjs"], app).ok, "softxent/reference runs");

  writeFileSync(
    join(app, "commonjs.cjs"),
    `const { init, crossEntropy } = require("softxent");
const { softmaxCrossEntropy } = require("softxent/tfjs");
const ref = require("softxent/reference");
if (typeof softmaxCrossEntropy !== "function" || typeof ref.crossEntropy !== "function") throw new Error("missing exports");
init().then(() => {
  const { loss } = crossEntropy(new Float32Array([2, 0.5, -1, 0.1, 0.2, 3]), new Int32Array([0, 2]), { classes: 3, smoothing: 0.1 });
  console.log("commonjs", loss);
});
`,
  );
  const cjs = sh(process.execPath, ["commonjs.cjs"], app);
  check(
    cjs.ok && /commonjs 0\.34/.test(cjs.out),
    `require("softxent"), "softxent/tfjs", "softxent/reference" from CommonJS (Node ${process.version})`,
  );

  step("a strict TypeScript consumer");
  writeFileSync(
    join(app, "consumer.ts"),
    `import { init, crossEntropy, linearCrossEntropy, sigmoidCrossEntropy, distillation, type CrossEntropyOptions } from "softxent";
import { softmaxCrossEntropy, crossEntropyLoss, linearSoftmaxCrossEntropy, type TfCrossEntropyOptions } from "softxent/tfjs";
import * as reference from "softxent/reference";

await init();
const N = 2, K = 3;
const logits = new Float32Array([2.0, 0.5, -1.0, 0.1, 0.2, 3.0]);
const labels = new Int32Array([0, 2]);
const { loss, grad } = crossEntropy(logits, labels, { classes: K, smoothing: 0.1 });
const first: number = grad[0] ?? 0;                       // no "!": grad is a Float32Array
const total: number = loss + first;
const none = crossEntropy(logits, labels, { classes: K, reduction: "none", grad: false });
const rows: Float32Array = none.loss;
const nothing: null = none.grad;
const sig = sigmoidCrossEntropy(logits, new Float32Array(N * K).fill(0.5));
const dist = distillation(logits, logits, { classes: K, temperature: 2 });
const head = linearCrossEntropy(new Float32Array(4), new Float32Array(6), labels, { classes: K, bias: new Float32Array(K) });
const g: Float32Array[] = [sig.grad, dist.grad, head.gradHidden, head.gradWeight, head.gradBias];
const o: CrossEntropyOptions = { classes: K };
const maybe = crossEntropy(logits, labels, o).grad;       // options typed grad?: boolean: either
const n: number = maybe === null ? 0 : maybe.length;
const t: TfCrossEntropyOptions = { smoothing: 0.1, ignoreIndex: -100 };
const r = reference.crossEntropy(Float64Array.from(logits), labels, { classes: K });
export const used = [total, rows, nothing, g, n, t, r, softmaxCrossEntropy, crossEntropyLoss, linearSoftmaxCrossEntropy];
`,
  );
  const base = {
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    skipLibCheck: false,
    noEmit: true,
    target: "ES2022",
    lib: ["ES2022", "DOM"],
  };
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  for (const [name, opts] of [
    ["node16", { module: "node16", moduleResolution: "node16" }],
    ["bundler", { module: "esnext", moduleResolution: "bundler" }],
  ]) {
    writeFileSync(
      join(app, `tsconfig.${name}.json`),
      JSON.stringify({ compilerOptions: { ...base, ...opts }, files: ["consumer.ts"] }, null, 2),
    );
    const r = sh(process.execPath, [tsc, "-p", `tsconfig.${name}.json`], app);
    check(r.ok, `tsc --strict --noUncheckedIndexedAccess --exactOptionalPropertyTypes, skipLibCheck false, moduleResolution ${name}`);
  }

  if (!args.has("--no-attw")) {
    step("@arethetypeswrong/cli (node10, node16 from CJS and ESM, bundler)");
    const attw = sh("npx", ["--yes", "@arethetypeswrong/cli@0.18.5", tarball, "--ignore-rules", "cjs-resolves-to-esm"], app, {
      show: true,
    });
    check(
      attw.ok,
      "arethetypeswrong, every resolution (its cjs-resolves-to-esm rule ignored: engines admits only Node versions whose require() loads ES modules)",
    );
  }

  // ---------------------------------------------------------------- 3. git install
  if (!args.has("--no-git")) {
    step("npm install git+file://<clone>#<commit>");
    const gitApp = project("git-app");
    // A clean clone for npm to clone from (the first one now has node_modules and dist/, which npm's own clone would not).
    const origin = join(work, "origin");
    sh("git", ["clone", "--quiet", "--no-checkout", root, origin], work);
    sh("git", ["checkout", "--quiet", commit], origin);
    sh("npm", ["install", ...npmQuiet, `git+file://${origin}#${commit}`], gitApp);
    check(
      existsSync(join(gitApp, "node_modules/softxent/dist/wasm/softxent.simd.wasm")),
      "the git install built dist/ (npm ran prepare in its clone)",
    );
    const t = join(gitApp, "ten-lines.mjs");
    writeFileSync(t, tenLines(readFileSync(join(gitApp, "node_modules/softxent/README.md"), "utf8")));
    const run = sh(process.execPath, [t], gitApp);
    check(run.ok && run.out.includes("Float32Array(6)"), "the README's ten lines run from the git install");
  }
} catch (e) {
  console.error(e);
  failures++;
} finally {
  const s = ((performance.now() - started) / 1000).toFixed(0);
  console.log(
    `\npack-check: ${failures === 0 ? "passed" : `${failures} failure(s)`} in ${s} s${args.has("--keep") ? `; kept ${work}` : ""}`,
  );
  if (!args.has("--keep")) rmSync(work, { recursive: true, force: true });
  process.exit(failures === 0 ? 0 : 1);
}
