/**
 * The relaxed-SIMD build (fused multiply-add in the vector exp) gets its own parity run. Node 20's V8
 * validates it only with --experimental-wasm-relaxed-simd, so this test re-runs the parity suites in
 * vitest child processes started with that flag and SOFTXENT_BUILDS=relaxed-simd (test/helpers/builds.ts);
 * there `initSync({ simd: true })` selects the relaxed build, which each suite checks. (In browsers that
 * ship relaxed SIMD, test/browser/parity.test.ts runs it too.)
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const FLAG = "--experimental-wasm-relaxed-simd";
const SUITES = [
  "test/parity/cross_entropy.test.ts",
  "test/parity/cross_entropy-long-batches.test.ts",
  "test/parity/cross_entropy-confident.test.ts",
  "test/unit/known-values.test.ts",
  "test/unit/errors.test.ts",
  "test/unit/non-finite.test.ts",
  "test/unit/distillation.test.ts",
  "test/unit/sigmoid.test.ts",
  "test/unit/calibration.test.ts",
  "test/unit/temperature.test.ts",
  "test/fuzz/cross_entropy.test.ts",
  "test/fuzz/softmax.test.ts",
  "test/fuzz/family.test.ts",
  "test/parity/linear_cross_entropy.test.ts",
  "test/parity/threads-identity.test.ts",
  "test/parity/threads-identity-linear.test.ts",
  "test/parity/threads-identity-calibration.test.ts",
  "test/parity/focal.test.ts",
  "test/parity/focal-torch.test.ts",
  "test/parity/linear_cross_entropy-focal.test.ts",
  "test/unit/focal.test.ts",
];

describe("relaxed-SIMD build", () => {
  const bytes = readFileSync(join(root, "dist/wasm/softxent.relaxed.wasm"));

  it("is not validated by Node 20 without the flag, so it is never the only path", () => {
    // (A newer Node validates it by default; then this expectation would simply flip.)
    const major = Number(process.versions.node.split(".")[0]);
    if (major === 20) expect(WebAssembly.validate(bytes)).toBe(false);
    expect(WebAssembly.validate(readFileSync(join(root, "dist/wasm/softxent.simd.wasm")))).toBe(true);
  });

  it("is selected with the flag, and passes the parity suites against the f64 reference", () => {
    const probe = execFileSync(
      process.execPath,
      [
        FLAG,
        "--input-type=module",
        "-e",
        `import { initSync, backendInfo } from ${JSON.stringify(join(root, "dist/index.js"))}; initSync(); process.stdout.write(JSON.stringify(backendInfo()));`,
      ],
      { encoding: "utf8" },
    );
    expect(JSON.parse(probe)).toMatchObject({ build: "relaxed-simd", simd: true, relaxedSimdSupported: true });
    const out = execFileSync(process.execPath, [join(root, "node_modules/vitest/vitest.mjs"), "run", `--execArgv=${FLAG}`, ...SUITES], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, SOFTXENT_BUILDS: "relaxed-simd", FORCE_COLOR: "0", NO_COLOR: "1" },
    });
    expect(out).toMatch(new RegExp(`Test Files\\s+${SUITES.length} passed`));
    expect(out).not.toMatch(/failed/);
  }, 240_000);
});
