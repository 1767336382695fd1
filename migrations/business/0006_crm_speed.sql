-- CRM speed (issue 3, docs/decisions/0011-crm-lists-search-and-relations.md): kept pipeline totals, prefix
-- indexes of every length up to 10 for search, and a name-ordered search index for contacts.

-- The pipeline summary without reading the deals: deals counted and summed per (pipeline, status, stage,
-- currency), kept by triggers in the same statement as every write to `deals`, so it is never stale and
-- never half-written (test/crm-summary.test.ts compares it with the deals after moves, edits, deletes and
-- won/lost). `currency` is '' for a deal without one; `valued` counts the deals with a value, so a group
-- whose values are all null answers NULL as `sum(value)` did. Groups that fall to zero deals are removed.

CREATE TABLE deal_totals (
  pipeline_id TEXT NOT NULL,
  status      TEXT NOT NULL,
  stage_id    TEXT NOT NULL,
  currency    TEXT NOT NULL,
  n           INTEGER NOT NULL,
  amount      INTEGER NOT NULL,
  valued      INTEGER NOT NULL,
  PRIMARY KEY (pipeline_id, status, stage_id, currency)
) STRICT, WITHOUT ROWID;

INSERT INTO deal_totals (pipeline_id, status, stage_id, currency, n, amount, valued)
SELECT pipeline_id, status, stage_id, coalesce(currency, ''), count(*), coalesce(sum(value), 0), count(value)
  FROM deals GROUP BY pipeline_id, status, stage_id, coalesce(currency, '');

CREATE TRIGGER deal_totals_insert AFTER INSERT ON deals BEGIN
  INSERT INTO deal_totals (pipeline_id, status, stage_id, currency, n, amount, valued)
  VALUES (new.pipeline_id, new.status, new.stage_id, coalesce(new.currency, ''), 1, coalesce(new.value, 0), new.value IS NOT NULL)
  ON CONFLICT (pipeline_id, status, stage_id, currency)
  DO UPDATE SET n = n + 1, amount = amount + excluded.amount, valued = valued + excluded.valued;
END;

CREATE TRIGGER deal_totals_delete AFTER DELETE ON deals BEGIN
  UPDATE deal_totals SET n = n - 1, amount = amount - coalesce(old.value, 0), valued = valued - (old.value IS NOT NULL)
   WHERE pipeline_id = old.pipeline_id AND status = old.status AND stage_id = old.stage_id AND currency = coalesce(old.currency, '');
  DELETE FROM deal_totals
   WHERE pipeline_id = old.pipeline_id AND status = old.status AND stage_id = old.stage_id AND currency = coalesce(old.currency, '') AND n = 0;
END;

CREATE TRIGGER deal_totals_update AFTER UPDATE OF pipeline_id, status, stage_id, currency, value ON deals BEGIN
  UPDATE deal_totals SET n = n - 1, amount = amount - coalesce(old.value, 0), valued = valued - (old.value IS NOT NULL)
   WHERE pipeline_id = old.pipeline_id AND status = old.status AND stage_id = old.stage_id AND currency = coalesce(old.currency, '');
  DELETE FROM deal_totals
   WHERE pipeline_id = old.pipeline_id AND status = old.status AND stage_id = old.stage_id AND currency = coalesce(old.currency, '') AND n = 0;
  INSERT INTO deal_totals (pipeline_id, status, stage_id, currency, n, amount, valued)
  VALUES (new.pipeline_id, new.status, new.stage_id, coalesce(new.currency, ''), 1, coalesce(new.value, 0), new.value IS NOT NULL)
  ON CONFLICT (pipeline_id, status, stage_id, currency)
  DO UPDATE SET n = n + 1, amount = amount + excluded.amount, valued = valued + excluded.valued;
END;

-- Full-text search: prefix indexes for every prefix length from 1 to 10 characters (was 2 and 3), so a
-- search word of up to 10 characters reads one precomputed list instead of merging the lists of every
-- token it begins — "hopper" begins 20k distinct tokens in 300k contacts' e-mail addresses
-- (hopper1@…, hopper2@…), "example" every address. Longer words begin few distinct tokens. The indexes
-- grow about twofold; the tables are rebuilt from their content tables (the triggers of 0002 keep them).
DROP TABLE companies_fts;
CREATE VIRTUAL TABLE companies_fts USING fts5(name, domain, website, content='companies', content_rowid='seq', prefix='1 2 3 4 5 6 7 8 9 10');
INSERT INTO companies_fts(companies_fts) VALUES ('rebuild');

DROP TABLE contacts_fts;
CREATE VIRTUAL TABLE contacts_fts USING fts5(first_name, last_name, email, title, content='contacts', content_rowid='seq', prefix='1 2 3 4 5 6 7 8 9 10');
INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild');

DROP TABLE leads_fts;
CREATE VIRTUAL TABLE leads_fts USING fts5(title, source, content='leads', content_rowid='seq', prefix='1 2 3 4 5 6 7 8 9 10');
INSERT INTO leads_fts(leads_fts) VALUES ('rebuild');

DROP TABLE deals_fts;
CREATE VIRTUAL TABLE deals_fts USING fts5(name, content='deals', content_rowid='seq', prefix='1 2 3 4 5 6 7 8 9 10');
INSERT INTO deals_fts(deals_fts) VALUES ('rebuild');

-- Search sorted by name without sorting every match: contacts are kept in "name buckets", runs of 64
-- to 128 contacts that are consecutive in (sort_name, id) order, numbered in that order with gaps. A second
-- full-text index over the same columns has the rowid (name_bucket << 32) | seq, so reading it in rowid
-- order reads the matches bucket by bucket in name order: a page needs the matches of the few buckets
-- that hold its rows, sorted — a bounded number, however many records match (src/crm/lists.ts).
ALTER TABLE contacts ADD COLUMN name_bucket INTEGER NOT NULL DEFAULT 0;
UPDATE contacts SET name_bucket = b.bucket
  FROM (SELECT seq, ((row_number() OVER (ORDER BY sort_name, id) - 1) / 64 + 1) * (1073741824 / ((SELECT count(*) FROM contacts) / 64 + 2)) AS bucket
          FROM contacts) b
 WHERE contacts.seq = b.seq;
CREATE INDEX contacts_by_name_bucket ON contacts(name_bucket, sort_name, id);
CREATE VIRTUAL TABLE contacts_sorted_fts USING fts5(first_name, last_name, email, title, content='', contentless_delete=1, prefix='1 2 3 4 5 6 7 8 9 10');
INSERT INTO contacts_sorted_fts(rowid, first_name, last_name, email, title)
SELECT (name_bucket << 32) | seq, first_name, last_name, email, title FROM contacts;

-- where a bucket split moves its upper half (scratch, empty outside a trigger)
CREATE TABLE contact_bucket_splits (bucket INTEGER NOT NULL, to_bucket INTEGER NOT NULL, from_name TEXT NOT NULL COLLATE NOCASE, from_id TEXT NOT NULL) STRICT;

-- a new contact, or one whose name changed, joins the bucket of the contact before it in name order
-- (else the one after it); setting name_bucket (re)indexes it, below
CREATE TRIGGER contacts_bucket_insert AFTER INSERT ON contacts BEGIN
  UPDATE contacts SET name_bucket = coalesce(
    (SELECT p.name_bucket FROM contacts p WHERE (p.sort_name, p.id) < (new.sort_name, new.id) ORDER BY p.sort_name DESC, p.id DESC LIMIT 1),
    (SELECT n.name_bucket FROM contacts n WHERE (n.sort_name, n.id) > (new.sort_name, new.id) ORDER BY n.sort_name, n.id LIMIT 1),
    1073741824)
   WHERE seq = new.seq;
END;
CREATE TRIGGER contacts_bucket_update AFTER UPDATE OF first_name, last_name, email, title ON contacts BEGIN
  UPDATE contacts SET name_bucket = coalesce(
    (SELECT p.name_bucket FROM contacts p WHERE (p.sort_name, p.id) < (new.sort_name, new.id) ORDER BY p.sort_name DESC, p.id DESC LIMIT 1),
    (SELECT n.name_bucket FROM contacts n WHERE (n.sort_name, n.id) > (new.sort_name, new.id) ORDER BY n.sort_name, n.id LIMIT 1),
    1073741824)
   WHERE seq = new.seq;
END;
CREATE TRIGGER contacts_bucket_delete AFTER DELETE ON contacts BEGIN
  DELETE FROM contacts_sorted_fts WHERE rowid = (old.name_bucket << 32) | old.seq;
END;
-- (re)index under the new bucket; a bucket grown past 128 contacts is split (below)
CREATE TRIGGER contacts_bucket_index AFTER UPDATE OF name_bucket ON contacts BEGIN
  DELETE FROM contacts_sorted_fts WHERE rowid = (old.name_bucket << 32) | old.seq;
  INSERT INTO contacts_sorted_fts(rowid, first_name, last_name, email, title)
  VALUES ((new.name_bucket << 32) | new.seq, new.first_name, new.last_name, new.email, new.title);
  INSERT INTO contact_bucket_splits (bucket, to_bucket, from_name, from_id)
  SELECT new.name_bucket, (new.name_bucket + x.next) / 2, m.sort_name, m.id
    FROM (SELECT coalesce((SELECT min(name_bucket) FROM contacts WHERE name_bucket > new.name_bucket), 2147483647) AS next) x,
         (SELECT sort_name, id FROM contacts WHERE name_bucket = new.name_bucket ORDER BY sort_name, id LIMIT 1 OFFSET 64) m
   WHERE x.next - new.name_bucket >= 2
     AND (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE name_bucket = new.name_bucket LIMIT 129)) > 128;
END;
-- the split: the bucket's upper half moves to a number halfway to the next bucket's (when no number is free
-- in between, the bucket just stays larger); the moved contacts are reindexed here, as the trigger above
-- does not fire again while it runs
CREATE TRIGGER contact_bucket_split AFTER INSERT ON contact_bucket_splits BEGIN
  DELETE FROM contacts_sorted_fts WHERE rowid IN (
    SELECT (name_bucket << 32) | seq FROM contacts WHERE name_bucket = new.bucket AND (sort_name, id) >= (new.from_name, new.from_id));
  UPDATE contacts SET name_bucket = new.to_bucket WHERE name_bucket = new.bucket AND (sort_name, id) >= (new.from_name, new.from_id);
  INSERT INTO contacts_sorted_fts(rowid, first_name, last_name, email, title)
  SELECT (name_bucket << 32) | seq, first_name, last_name, email, title FROM contacts WHERE name_bucket = new.to_bucket;
  DELETE FROM contact_bucket_splits;
END;
