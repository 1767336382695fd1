import { defineConfig } from "vitest/config";

// Black-box tests start the built server (dist/) as a child process per file; `npm test` builds first.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "src/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 2,
  },
});
