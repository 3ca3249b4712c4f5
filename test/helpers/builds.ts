/** The builds every parity suite runs against. */
export const BUILDS = [
  { name: "simd", simd: true },
  { name: "scalar", simd: false },
] as const;
