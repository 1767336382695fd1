// Builds the Node bundles (server, seed, bench suite), and checks that everything outside src/runtime/node bundles for a
// neutral platform (no node: built-ins, no Node-only packages), so it can run on Cloudflare Workers.
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { build } from "esbuild";

const neutralOnly = process.argv.includes("--neutral-only");

/** Every module of the application, tests and the Node adapter aside. */
function neutralModules(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return path === join("src", "runtime", "node") ? [] : neutralModules(path);
    return entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts") ? [path] : [];
  });
}

await build({
  entryPoints: neutralModules("src"),
  bundle: true,
  platform: "neutral",
  format: "esm",
  target: "es2022",
  mainFields: ["module", "main"],
  conditions: ["workerd", "worker", "browser", "import"],
  write: false,
  logLevel: "warning",
  outdir: "dist/neutral-check",
});

if (!neutralOnly) {
  await build({
    entryPoints: { server: "src/runtime/node/server.ts", "checkpoint-worker": "src/runtime/node/checkpoint-worker.ts", seed: "scripts/seed.ts", bench: "bench/run.ts" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: true,
    outdir: "dist",
    logLevel: "warning",
  });
  // the WAL-batching VFS (src/runtime/node/wal-batch.c), against the SQLite headers better-sqlite3 was built from;
  // without a C compiler the server still runs, writing the WAL as SQLite does (it logs a warning)
  const sqliteHeaders = join(dirname(createRequire(import.meta.url).resolve("better-sqlite3/package.json")), "deps", "sqlite3");
  const library = join("dist", "wal-batch.so");
  mkdirSync("dist", { recursive: true });
  try {
    execFileSync(process.env.CC || "cc", ["-O2", "-shared", "-fPIC", "-I", sqliteHeaders, "-o", library, join("src", "runtime", "node", "wal-batch.c")], { stdio: "pipe" });
  } catch (error) {
    rmSync(library, { force: true });
    console.warn(`wal-batch.c was not built, the server will write the WAL unbatched: ${error.stderr?.toString().trim() || error.message}`);
  }
}
