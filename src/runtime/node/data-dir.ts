import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";

/**
 * Holds an exclusive SQLite lock on DATA_DIR/server.lock for the life of the process. The operating
 * system drops it when the process dies, even by kill -9, so a stale lock never blocks a restart.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(join(dataDir, "businesses"), { recursive: true });
  const lock = new Database(join(dataDir, "server.lock"), { timeout: 0 });
  try {
    lock.pragma("locking_mode = EXCLUSIVE");
    lock.exec("CREATE TABLE IF NOT EXISTS holder (pid INTEGER)");
    lock.exec("BEGIN EXCLUSIVE");
    lock.exec("DELETE FROM holder");
  } catch (error) {
    lock.close();
    if (String(error).includes("SQLITE_BUSY") || String(error).includes("locked")) {
      throw new Error(`Another CoreFlow360 process is already using the data directory ${dataDir}; stop it first or set DATA_DIR.`);
    }
    throw error;
  }
  return () => {
    lock.exec("ROLLBACK");
    lock.close();
  };
}

/** The JWT signing key: from JWT_SECRET when set, otherwise generated once and kept in DATA_DIR with mode 0600. */
export function loadSigningKey(dataDir: string, fromEnv: string | undefined): Uint8Array {
  if (fromEnv) return new TextEncoder().encode(fromEnv);
  const file = join(dataDir, "secrets.json");
  try {
    const stored = JSON.parse(readFileSync(file, "utf8")) as { jwtKey: string };
    return Buffer.from(stored.jwtKey, "base64");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  writeFileSync(file, JSON.stringify({ jwtKey: Buffer.from(key).toString("base64") }), { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return key;
}
