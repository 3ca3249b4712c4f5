// The next-word page: `npm run demo:lm:browser` builds it into dist-examples/lm-browser/ (serve that folder
// with any static server, e.g. `npx vite preview --config examples/lm/browser/vite.config.ts`). The
// corpus reaches the page as a file of the build: dist-examples/lm-data/brown-20002.bin.gz.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "./",
  publicDir: here("../../../dist-examples/lm-data"),
  build: { outDir: here("../../../dist-examples/lm-browser"), emptyOutDir: true, target: "es2022" },
  worker: { format: "es" },
  preview: { host: "127.0.0.1", port: 5181, strictPort: false },
});
