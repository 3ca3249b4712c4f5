// The browser demo: `npm run demo:browser` builds it into dist-examples/browser/, `npm run demo:serve`
// serves that folder. The MNIST split reaches the page as a file of the build (no network): the
// build step writes dist-examples/browser-data/mnist-digits.bin.gz, which Vite copies as a public asset.
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  root: here("."),
  base: "./",
  publicDir: here("../../dist-examples/browser-data"),
  build: {
    outDir: here("../../dist-examples/browser"),
    emptyOutDir: true,
    target: "es2022",
    chunkSizeWarningLimit: 1024,
  },
  worker: { format: "es" },
  preview: { host: "127.0.0.1", port: 5180, strictPort: false },
});
