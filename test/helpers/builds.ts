/**
 * The builds every parity suite runs against. Normally the SIMD and the scalar build. The relaxed-SIMD
 * build needs an engine that validates it (Node 20: --experimental-wasm-relaxed-simd); test/parity/relaxed.test.ts
 * re-runs the parity suites in such a process with SOFTXENT_BUILDS=relaxed-simd, where `initSync({ simd: true })`
 * picks the relaxed build by itself (each suite checks which build runs).
 */
export interface TestBuild {
  readonly name: "relaxed-simd" | "simd" | "scalar";
  readonly simd: boolean;
}

export const BUILDS: readonly TestBuild[] =
  process.env.SOFTXENT_BUILDS === "relaxed-simd"
    ? [{ name: "relaxed-simd", simd: true }]
    : [
        { name: "simd", simd: true },
        { name: "scalar", simd: false },
      ];
