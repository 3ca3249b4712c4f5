import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Suites import dist/: rebuild it first when src/ or assembly/ is newer (no silent stale build).
    globalSetup: ["test/setup/fresh-build.ts"],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
