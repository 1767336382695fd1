// The checkpoint thread (see checkpointer.ts): copies committed WAL frames into business database files,
// off the event loop. One connection per database file, closed when the server closes that database.
import { parentPort } from "node:worker_threads";
import Database from "better-sqlite3";
import type { CheckpointReply, CheckpointRequest } from "./checkpointer.js";

const open = new Map<string, Database.Database>();
const port = parentPort!;

port.on("message", (request: CheckpointRequest) => {
  if (request.kind === "exit") {
    // the last connection to close checkpoints what is left and removes the WAL file
    for (const db of open.values()) db.close();
    open.clear();
    port.close();
    return;
  }
  const db = open.get(request.file);
  if (request.kind === "close") {
    db?.close();
    open.delete(request.file);
    return;
  }
  let reply: CheckpointReply;
  try {
    let connection = db;
    if (!connection) {
      connection = new Database(request.file, { fileMustExist: true, timeout: 100 });
      open.set(request.file, connection);
    }
    // PASSIVE: copies what it can without waiting for the writer or readers; never blocks a commit
    connection.pragma("wal_checkpoint(PASSIVE)");
    reply = { file: request.file };
  } catch (error) {
    reply = { file: request.file, error: (error as Error).message };
  }
  port.postMessage(reply);
});
