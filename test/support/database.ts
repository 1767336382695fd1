/** Business databases on temporary files for tests below HTTP (the finance store's unit tests). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { migrate } from "../../src/platform/sql.js";
import { loadMigrations, NodeSqlConnection } from "../../src/runtime/node/sqlite.js";

/** Opens business databases migrated as the server migrates one; `removeAll` (for afterEach) closes and deletes them. */
export function temporaryBusinessDatabases() {
  const opened: Array<{ dir: string; connection: NodeSqlConnection }> = [];
  return {
    open(): NodeSqlConnection {
      const dir = mkdtempSync(join(tmpdir(), "coreflow-business-db-"));
      const connection = new NodeSqlConnection(join(dir, "b.db"), "NORMAL");
      opened.push({ dir, connection });
      migrate(connection, loadMigrations(resolve("migrations/business")));
      return connection;
    },
    removeAll(): void {
      for (const { dir, connection } of opened.splice(0)) {
        connection.close();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
