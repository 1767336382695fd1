-- The audit log and the event log are read by seq only (a chain is verified and a stream resumed in seq
-- order); nothing looks an entry up by its id. Their UNIQUE(id) indexes cost every write a second B-tree
-- insert and, per commit, about four more pages written to the WAL (an index page split rewrites its
-- siblings). Ids stay unique as they are made: 48 bits of time and 80 random bits (src/platform/ids.ts).
CREATE TABLE audit_log_kept (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL,
  at          TEXT NOT NULL,
  actor_type  TEXT NOT NULL,
  actor_id    TEXT NOT NULL,
  action      TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  changes     TEXT NOT NULL,
  request_id  TEXT,
  prev_hash   TEXT NOT NULL,
  hash        TEXT NOT NULL
) STRICT;
INSERT INTO audit_log_kept SELECT seq, id, at, actor_type, actor_id, action, target_type, target_id, changes, request_id, prev_hash, hash FROM audit_log;
DROP TABLE audit_log;
ALTER TABLE audit_log_kept RENAME TO audit_log;
CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE events_kept (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL,
  at           TEXT NOT NULL,
  type         TEXT NOT NULL,
  subject_type TEXT NOT NULL,
  subject_id   TEXT NOT NULL,
  data         TEXT NOT NULL
) STRICT;
INSERT INTO events_kept SELECT seq, id, at, type, subject_type, subject_id, data FROM events;
DROP TABLE events;
ALTER TABLE events_kept RENAME TO events;
