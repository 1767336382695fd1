-- Leads searched and sorted by score (issue 3, docs/decisions/0011-crm-lists-search-and-relations.md): the
-- "name bucket" mechanism of 0006, for leads in (score_sort, id) order. Leads are kept in "score buckets",
-- runs of 64 to 128 leads consecutive in (score_sort, id) order, numbered in that order with gaps; a second
-- full-text index over title and source has the rowid (score_bucket << 32) | seq, so reading it in rowid
-- order reads the matches bucket by bucket in score order and a page sorts only the matches of the few
-- buckets that hold its rows (src/crm/lists.ts, bucketedSearch). Leads without a score (score_sort = -1)
-- are one long run in that order: it is cut into buckets like any other run, by id.
ALTER TABLE leads ADD COLUMN score_bucket INTEGER NOT NULL DEFAULT 0;
UPDATE leads SET score_bucket = b.bucket
  FROM (SELECT seq, ((row_number() OVER (ORDER BY score_sort, id) - 1) / 64 + 1) * (1073741824 / ((SELECT count(*) FROM leads) / 64 + 2)) AS bucket
          FROM leads) b
 WHERE leads.seq = b.seq;
CREATE INDEX leads_by_score_bucket ON leads(score_bucket, score_sort, id);
CREATE VIRTUAL TABLE leads_sorted_fts USING fts5(title, source, content='', contentless_delete=1, prefix='1 2 3 4 5 6 7 8 9 10');
INSERT INTO leads_sorted_fts(rowid, title, source)
SELECT (score_bucket << 32) | seq, title, source FROM leads;

-- where a bucket split moves its upper half (scratch, empty outside a trigger)
CREATE TABLE lead_bucket_splits (bucket INTEGER NOT NULL, to_bucket INTEGER NOT NULL, from_score INTEGER NOT NULL, from_id TEXT NOT NULL) STRICT;

-- a new lead, or one whose score changed, joins the bucket of the lead before it in score order (else the
-- one after it); setting score_bucket (re)indexes it, below — so a title or source edit, which leaves the
-- lead in its place in score order, goes the same way and is reindexed
CREATE TRIGGER leads_bucket_insert AFTER INSERT ON leads BEGIN
  UPDATE leads SET score_bucket = coalesce(
    (SELECT p.score_bucket FROM leads p WHERE (p.score_sort, p.id) < (new.score_sort, new.id) ORDER BY p.score_sort DESC, p.id DESC LIMIT 1),
    (SELECT n.score_bucket FROM leads n WHERE (n.score_sort, n.id) > (new.score_sort, new.id) ORDER BY n.score_sort, n.id LIMIT 1),
    1073741824)
   WHERE seq = new.seq;
END;
CREATE TRIGGER leads_bucket_update AFTER UPDATE OF score, title, source ON leads BEGIN
  UPDATE leads SET score_bucket = coalesce(
    (SELECT p.score_bucket FROM leads p WHERE (p.score_sort, p.id) < (new.score_sort, new.id) ORDER BY p.score_sort DESC, p.id DESC LIMIT 1),
    (SELECT n.score_bucket FROM leads n WHERE (n.score_sort, n.id) > (new.score_sort, new.id) ORDER BY n.score_sort, n.id LIMIT 1),
    1073741824)
   WHERE seq = new.seq;
END;
CREATE TRIGGER leads_bucket_delete AFTER DELETE ON leads BEGIN
  DELETE FROM leads_sorted_fts WHERE rowid = (old.score_bucket << 32) | old.seq;
END;
-- (re)index under the new bucket; a bucket grown past 128 leads is split (below)
CREATE TRIGGER leads_bucket_index AFTER UPDATE OF score_bucket ON leads BEGIN
  DELETE FROM leads_sorted_fts WHERE rowid = (old.score_bucket << 32) | old.seq;
  INSERT INTO leads_sorted_fts(rowid, title, source)
  VALUES ((new.score_bucket << 32) | new.seq, new.title, new.source);
  INSERT INTO lead_bucket_splits (bucket, to_bucket, from_score, from_id)
  SELECT new.score_bucket,
         CASE WHEN f.score_sort < m.score_sort THEN (new.score_bucket + x.next) / 2
              ELSE new.score_bucket + min((x.next - new.score_bucket) / 2, 64) END,
         m.score_sort, m.id
    FROM (SELECT coalesce((SELECT min(score_bucket) FROM leads WHERE score_bucket > new.score_bucket), 2147483647) AS next) x,
         (SELECT score_sort FROM leads WHERE score_bucket = new.score_bucket ORDER BY score_sort, id LIMIT 1) f,
         (SELECT score_sort, id FROM leads WHERE score_bucket = new.score_bucket ORDER BY score_sort, id LIMIT 1 OFFSET 64) m
   WHERE x.next - new.score_bucket >= 2
     AND (SELECT count(*) FROM (SELECT 1 FROM leads WHERE score_bucket = new.score_bucket LIMIT 129)) > 128;
END;
-- the split: the bucket's upper half moves to a number halfway to the next bucket's, or, when the lower half
-- is the middle of one run of equal scores, at most 64 above its own (when no number is free in between,
-- the bucket just stays larger); the moved leads are reindexed here, as the trigger above does not fire
-- again while it runs.
-- Why the 64: ids grow with time, so new leads of one score (above all the unscored: most leads are created
-- without one) all join the end of that score's run, the upper half of the last split there. Halving the gap
-- to the next bucket on every split runs out of numbers after about 30 splits (18 in a business numbered by
-- this migration at 200k leads), and from then on that one bucket takes every new lead: seeding 200k leads
-- into a new business left 105k unscored leads in one bucket. A lower half inside one run receives no new
-- lead (only a lead rescored into that run), so it keeps a little room and the run's end keeps the rest.
CREATE TRIGGER lead_bucket_split AFTER INSERT ON lead_bucket_splits BEGIN
  DELETE FROM leads_sorted_fts WHERE rowid IN (
    SELECT (score_bucket << 32) | seq FROM leads WHERE score_bucket = new.bucket AND (score_sort, id) >= (new.from_score, new.from_id));
  UPDATE leads SET score_bucket = new.to_bucket WHERE score_bucket = new.bucket AND (score_sort, id) >= (new.from_score, new.from_id);
  INSERT INTO leads_sorted_fts(rowid, title, source)
  SELECT (score_bucket << 32) | seq, title, source FROM leads WHERE score_bucket = new.to_bucket;
  DELETE FROM lead_bucket_splits;
END;
