-- Companies searched and sorted by name (issue 3, docs/decisions/0011-crm-lists-search-and-relations.md): the
-- "name bucket" mechanism of 0006 with the split rule of 0007, for companies in (name, id) order — `name` is
-- COLLATE NOCASE, the collation the list's name sort uses, so bucket order is the list's order. Companies are
-- kept in "name buckets", runs of 64 to 128 companies consecutive in (name, id) order, numbered in that order
-- with gaps; a second full-text index over name, domain and website has the rowid (name_bucket << 32) | seq,
-- so reading it in rowid order reads the matches bucket by bucket in name order and a page sorts only the
-- matches of the few buckets that hold its rows (src/crm/lists.ts, bucketedSearch). Many companies share a
-- name (up to case): such a run is cut into buckets like any other, by id.
ALTER TABLE companies ADD COLUMN name_bucket INTEGER NOT NULL DEFAULT 0;
UPDATE companies SET name_bucket = b.bucket
  FROM (SELECT seq, ((row_number() OVER (ORDER BY name, id) - 1) / 64 + 1) * (1073741824 / ((SELECT count(*) FROM companies) / 64 + 2)) AS bucket
          FROM companies) b
 WHERE companies.seq = b.seq;
CREATE INDEX companies_by_name_bucket ON companies(name_bucket, name, id);
CREATE VIRTUAL TABLE companies_sorted_fts USING fts5(name, domain, website, content='', contentless_delete=1, prefix='1 2 3 4 5 6 7 8 9 10');
INSERT INTO companies_sorted_fts(rowid, name, domain, website)
SELECT (name_bucket << 32) | seq, name, domain, website FROM companies;

-- where a bucket split moves its upper half (scratch, empty outside a trigger)
CREATE TABLE company_bucket_splits (bucket INTEGER NOT NULL, to_bucket INTEGER NOT NULL, from_name TEXT NOT NULL COLLATE NOCASE, from_id TEXT NOT NULL) STRICT;

-- a new company, or one whose name changed, joins the bucket of the company before it in name order (else
-- the one after it); setting name_bucket (re)indexes it, below — so a domain or website edit, which leaves
-- the company in its place in name order, goes the same way and is reindexed
CREATE TRIGGER companies_bucket_insert AFTER INSERT ON companies BEGIN
  UPDATE companies SET name_bucket = coalesce(
    (SELECT p.name_bucket FROM companies p WHERE (p.name, p.id) < (new.name, new.id) ORDER BY p.name DESC, p.id DESC LIMIT 1),
    (SELECT n.name_bucket FROM companies n WHERE (n.name, n.id) > (new.name, new.id) ORDER BY n.name, n.id LIMIT 1),
    1073741824)
   WHERE seq = new.seq;
END;
CREATE TRIGGER companies_bucket_update AFTER UPDATE OF name, domain, website ON companies BEGIN
  UPDATE companies SET name_bucket = coalesce(
    (SELECT p.name_bucket FROM companies p WHERE (p.name, p.id) < (new.name, new.id) ORDER BY p.name DESC, p.id DESC LIMIT 1),
    (SELECT n.name_bucket FROM companies n WHERE (n.name, n.id) > (new.name, new.id) ORDER BY n.name, n.id LIMIT 1),
    1073741824)
   WHERE seq = new.seq;
END;
CREATE TRIGGER companies_bucket_delete AFTER DELETE ON companies BEGIN
  DELETE FROM companies_sorted_fts WHERE rowid = (old.name_bucket << 32) | old.seq;
END;
-- (re)index under the new bucket; a bucket grown past 128 companies is split (below)
CREATE TRIGGER companies_bucket_index AFTER UPDATE OF name_bucket ON companies BEGIN
  DELETE FROM companies_sorted_fts WHERE rowid = (old.name_bucket << 32) | old.seq;
  INSERT INTO companies_sorted_fts(rowid, name, domain, website)
  VALUES ((new.name_bucket << 32) | new.seq, new.name, new.domain, new.website);
  INSERT INTO company_bucket_splits (bucket, to_bucket, from_name, from_id)
  SELECT new.name_bucket,
         CASE WHEN f.name < m.name THEN (new.name_bucket + x.next) / 2
              ELSE new.name_bucket + min((x.next - new.name_bucket) / 2, 64) END,
         m.name, m.id
    FROM (SELECT coalesce((SELECT min(name_bucket) FROM companies WHERE name_bucket > new.name_bucket), 2147483647) AS next) x,
         (SELECT name FROM companies WHERE name_bucket = new.name_bucket ORDER BY name, id LIMIT 1) f,
         (SELECT name, id FROM companies WHERE name_bucket = new.name_bucket ORDER BY name, id LIMIT 1 OFFSET 64) m
   WHERE x.next - new.name_bucket >= 2
     AND (SELECT count(*) FROM (SELECT 1 FROM companies WHERE name_bucket = new.name_bucket LIMIT 129)) > 128;
END;
-- the split (0007's rule): the bucket's upper half moves to a number halfway to the next bucket's, or, when
-- the lower half is the middle of one run of equal names (NOCASE), at most 64 above its own (when no number
-- is free in between, the bucket just stays larger); the moved companies are reindexed here, as the trigger
-- above does not fire again while it runs. New companies of one name join the end of that name's run, so
-- halving the gap there on every split would soon leave no number free; a lower half inside one run receives
-- no new company (only one renamed into the run), so it keeps a little room and the run's end keeps the rest.
CREATE TRIGGER company_bucket_split AFTER INSERT ON company_bucket_splits BEGIN
  DELETE FROM companies_sorted_fts WHERE rowid IN (
    SELECT (name_bucket << 32) | seq FROM companies WHERE name_bucket = new.bucket AND (name, id) >= (new.from_name, new.from_id));
  UPDATE companies SET name_bucket = new.to_bucket WHERE name_bucket = new.bucket AND (name, id) >= (new.from_name, new.from_id);
  INSERT INTO companies_sorted_fts(rowid, name, domain, website)
  SELECT (name_bucket << 32) | seq, name, domain, website FROM companies WHERE name_bucket = new.to_bucket;
  DELETE FROM company_bucket_splits;
END;
