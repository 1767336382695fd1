import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";

/** Where scripts/build.mjs leaves the compiled wal-batch.c: beside the server bundle. */
export const walBatchLibrary = fileURLToPath(new URL("./wal-batch.so", import.meta.url));

/**
 * Makes the WAL-batching VFS (wal-batch.c) SQLite's default for every connection opened afterwards in this
 * process, the checkpoint thread's included. Returns why it could not, or undefined once it is in use.
 */
export function useWalBatching(library = walBatchLibrary): string | undefined {
  if (!existsSync(library)) return `${library} was not built (scripts/build.mjs needs a C compiler)`;
  const loader = new Database(":memory:");
  try {
    loader.loadExtension(library);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    loader.close();
  }
}
