-- Contacts' name buckets keep to 128 (issue 3 follow-up, docs/decisions/0011-crm-lists-search-and-relations.md):
-- 0006 split a full bucket by moving its upper half to the number halfway to the next bucket's. Many contacts
-- share a name (a run of equal sort_name, ordered by id), and ids grow with time, so new contacts of one name
-- all join the end of that name's run: halving the gap there on every split soon leaves no number free, and
-- the last bucket of the run then grows without bound (355 on the full seed). This migration gives contacts
-- the split rule of 0007/0008: when the lower half lies inside one run of equal sort_name, the upper half
-- takes a number at most 64 above the bucket's, keeping the rest of the gap for the run's end; otherwise it
-- halves as before. Everything else of 0006 (the bucket column and index, contacts_sorted_fts, the insert,
-- update and delete triggers) stays as it is; only the two split triggers are replaced.
DROP TRIGGER contacts_bucket_index;
DROP TRIGGER contact_bucket_split;

-- A database whose buckets already grew past 128 under 0006's rule is renumbered once, exactly as 0006 first
-- numbered it (runs of 64 in (sort_name, id) order, evenly spread gaps), and its contacts_sorted_fts refilled
-- under the new numbers: the new rule keeps buckets bounded from then on, but cannot shrink a bucket that is
-- already too large (a split needs a free number, and the stuck buckets have none). The cost is 0006's
-- (about 16 s for 300k contacts, once, on first open) and it is paid only by such a database — others (every
-- new business, every one whose buckets never overflowed) skip it: the check is one pass over
-- contacts_by_name_bucket. It runs with the split triggers dropped, so the renumbering does not split or
-- reindex row by row; `contact_bucket_renumber` holds the decision (scratch, dropped below).
CREATE TABLE contact_bucket_renumber (needed INTEGER NOT NULL) STRICT;
INSERT INTO contact_bucket_renumber (needed)
SELECT EXISTS (SELECT 1 FROM contacts GROUP BY name_bucket HAVING count(*) > 128);

UPDATE contacts SET name_bucket = b.bucket
  FROM (SELECT seq, ((row_number() OVER (ORDER BY sort_name, id) - 1) / 64 + 1) * (1073741824 / ((SELECT count(*) FROM contacts) / 64 + 2)) AS bucket
          FROM contacts) b
 WHERE contacts.seq = b.seq AND (SELECT needed FROM contact_bucket_renumber);
INSERT INTO contacts_sorted_fts(contacts_sorted_fts) SELECT 'delete-all' WHERE (SELECT needed FROM contact_bucket_renumber);
INSERT INTO contacts_sorted_fts(rowid, first_name, last_name, email, title)
SELECT (name_bucket << 32) | seq, first_name, last_name, email, title FROM contacts WHERE (SELECT needed FROM contact_bucket_renumber);
DROP TABLE contact_bucket_renumber;

-- (re)index under the new bucket; a bucket grown past 128 contacts is split (below) — 0008's trigger for
-- contacts' columns: `f` is the bucket's first contact, `m` the first of its upper half
CREATE TRIGGER contacts_bucket_index AFTER UPDATE OF name_bucket ON contacts BEGIN
  DELETE FROM contacts_sorted_fts WHERE rowid = (old.name_bucket << 32) | old.seq;
  INSERT INTO contacts_sorted_fts(rowid, first_name, last_name, email, title)
  VALUES ((new.name_bucket << 32) | new.seq, new.first_name, new.last_name, new.email, new.title);
  INSERT INTO contact_bucket_splits (bucket, to_bucket, from_name, from_id)
  SELECT new.name_bucket,
         CASE WHEN f.sort_name < m.sort_name THEN (new.name_bucket + x.next) / 2
              ELSE new.name_bucket + min((x.next - new.name_bucket) / 2, 64) END,
         m.sort_name, m.id
    FROM (SELECT coalesce((SELECT min(name_bucket) FROM contacts WHERE name_bucket > new.name_bucket), 2147483647) AS next) x,
         (SELECT sort_name FROM contacts WHERE name_bucket = new.name_bucket ORDER BY sort_name, id LIMIT 1) f,
         (SELECT sort_name, id FROM contacts WHERE name_bucket = new.name_bucket ORDER BY sort_name, id LIMIT 1 OFFSET 64) m
   WHERE x.next - new.name_bucket >= 2
     AND (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE name_bucket = new.name_bucket LIMIT 129)) > 128;
END;
-- the split (0007's rule): the bucket's upper half moves to a number halfway to the next bucket's, or, when
-- the lower half is the middle of one run of equal sort_name (NOCASE), at most 64 above its own (when no
-- number is free in between, the bucket just stays larger); the moved contacts are reindexed here, as the
-- trigger above does not fire again while it runs. A lower half inside one run receives no new contact (only
-- one renamed into the run), so it keeps a little room and the run's end keeps the rest.
CREATE TRIGGER contact_bucket_split AFTER INSERT ON contact_bucket_splits BEGIN
  DELETE FROM contacts_sorted_fts WHERE rowid IN (
    SELECT (name_bucket << 32) | seq FROM contacts WHERE name_bucket = new.bucket AND (sort_name, id) >= (new.from_name, new.from_id));
  UPDATE contacts SET name_bucket = new.to_bucket WHERE name_bucket = new.bucket AND (sort_name, id) >= (new.from_name, new.from_id);
  INSERT INTO contacts_sorted_fts(rowid, first_name, last_name, email, title)
  SELECT (name_bucket << 32) | seq, first_name, last_name, email, title FROM contacts WHERE name_bucket = new.to_bucket;
  DELETE FROM contact_bucket_splits;
END;
