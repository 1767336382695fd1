// Builds the Node bundles (server, seed, bench suite), and checks that everything outside src/runtime/node bundles for a
// neutral platform (no node: built-ins, no Node-only packages), so it can run on Cloudflare Workers.
import { build } from "esbuild";

const neutralOnly = process.argv.includes("--neutral-only");

await build({
  entryPoints: ["src/http/app.ts"],
  bundle: true,
  platform: "neutral",
  format: "esm",
  target: "es2022",
  mainFields: ["module", "main"],
  conditions: ["workerd", "worker", "browser", "import"],
  write: false,
  logLevel: "warning",
  outfile: "dist/neutral-check.js",
});

if (!neutralOnly) {
  await build({
    entryPoints: { server: "src/runtime/node/server.ts", seed: "scripts/seed.ts", bench: "bench/run.ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    outdir: "dist",
    logLevel: "warning",
  });
}
