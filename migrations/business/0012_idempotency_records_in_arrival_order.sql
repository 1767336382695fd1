-- Idempotency records kept in the order they arrive, found by an index on (principal, key). Keyed by
-- (principal, key) themselves, each record (~0.6 KB with its stored answer) went to wherever its
-- client-made key sorts — a random page of a table of large rows — and filled pages split often,
-- rewriting their siblings; now a record is appended to the table's last page with the others of its
-- commit, and only a small index entry lands at a random place.
CREATE TABLE idempotency_records_kept (
  principal  TEXT NOT NULL,
  key        TEXT NOT NULL,
  method     TEXT NOT NULL,
  path       TEXT NOT NULL,
  body_hash  TEXT NOT NULL,
  status     INTEGER NOT NULL,
  response   TEXT NOT NULL,
  created_ms INTEGER NOT NULL,
  UNIQUE (principal, key)
) STRICT;
INSERT INTO idempotency_records_kept (principal, key, method, path, body_hash, status, response, created_ms)
  SELECT principal, key, method, path, body_hash, status, response, created_ms FROM idempotency_records ORDER BY created_ms;
DROP TABLE idempotency_records;
ALTER TABLE idempotency_records_kept RENAME TO idempotency_records;
CREATE INDEX idempotency_records_by_age ON idempotency_records(created_ms);
