-- The write path every business feature shares: audit chain, event log, idempotency records.

-- Append-only and hash-chained: hash = SHA-256(prev_hash || canonical entry).
CREATE TABLE audit_log (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
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
CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- The business's ordered outbox: feeds Server-Sent Events, agents and cache invalidation.
CREATE TABLE events (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  at           TEXT NOT NULL,
  type         TEXT NOT NULL,
  subject_type TEXT NOT NULL,
  subject_id   TEXT NOT NULL,
  data         TEXT NOT NULL
) STRICT;

-- First response to each Idempotency-Key, kept 24 hours, scoped to the caller.
CREATE TABLE idempotency_records (
  principal  TEXT NOT NULL,
  key        TEXT NOT NULL,
  method     TEXT NOT NULL,
  path       TEXT NOT NULL,
  body_hash  TEXT NOT NULL,
  status     INTEGER NOT NULL,
  response   TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  PRIMARY KEY (principal, key)
) STRICT, WITHOUT ROWID;
CREATE INDEX idempotency_records_by_age ON idempotency_records(created_ms);
