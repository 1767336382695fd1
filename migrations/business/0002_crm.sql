-- The CRM: companies, contacts, leads, pipelines with ordered stages, deals and activities.
-- Ids are `<prefix>_<10 base32 digits of creation ms><16 random>`, so id order is creation order.
-- References inside the CRM detach when the record they point to is deleted (ON DELETE SET NULL);
-- a stage or pipeline that still holds deals cannot be deleted (RESTRICT, answered with 409).

CREATE TABLE companies (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL COLLATE NOCASE,
  domain     TEXT,
  industry   TEXT,
  size       TEXT,
  website    TEXT,
  address    TEXT,
  tags       TEXT NOT NULL DEFAULT '[]',
  owner_id   TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE company_tags (
  tag        TEXT NOT NULL,
  company_id TEXT NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
  PRIMARY KEY (tag, company_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX company_tags_by_company ON company_tags(company_id);

CREATE TABLE contacts (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  first_name TEXT NOT NULL,
  last_name  TEXT NOT NULL,
  sort_name  TEXT NOT NULL COLLATE NOCASE GENERATED ALWAYS AS (last_name || ' ' || first_name) STORED,
  email      TEXT,
  phone      TEXT,
  title      TEXT,
  company_id TEXT REFERENCES companies(id) ON DELETE SET NULL,
  tags       TEXT NOT NULL DEFAULT '[]',
  owner_id   TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

CREATE TABLE contact_tags (
  tag        TEXT NOT NULL,
  contact_id TEXT NOT NULL REFERENCES contacts(id) ON DELETE CASCADE,
  PRIMARY KEY (tag, contact_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX contact_tags_by_contact ON contact_tags(contact_id);

CREATE TABLE pipelines (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  name       TEXT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0 CHECK (is_default IN (0, 1)),
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;
CREATE UNIQUE INDEX pipelines_one_default ON pipelines(is_default) WHERE is_default = 1;

CREATE TABLE pipeline_stages (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  pipeline_id TEXT NOT NULL REFERENCES pipelines(id) ON DELETE CASCADE,
  name        TEXT NOT NULL,
  position    INTEGER NOT NULL,
  probability INTEGER NOT NULL CHECK (probability BETWEEN 0 AND 100)
) STRICT;
CREATE INDEX pipeline_stages_by_pipeline ON pipeline_stages(pipeline_id, position);

CREATE TABLE deals (
  seq            INTEGER PRIMARY KEY,
  id             TEXT NOT NULL UNIQUE,
  name           TEXT NOT NULL,
  pipeline_id    TEXT NOT NULL REFERENCES pipelines(id) ON DELETE RESTRICT,
  stage_id       TEXT NOT NULL REFERENCES pipeline_stages(id) ON DELETE RESTRICT,
  value          INTEGER,
  currency       TEXT,
  expected_close TEXT,
  close_sort     TEXT NOT NULL GENERATED ALWAYS AS (coalesce(expected_close, '9999-12-31')) STORED,
  probability    INTEGER,
  status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'won', 'lost')),
  lost_reason    TEXT,
  closed_at      TEXT,
  owner_id       TEXT,
  company_id     TEXT REFERENCES companies(id) ON DELETE SET NULL,
  contact_id     TEXT REFERENCES contacts(id) ON DELETE SET NULL,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
) STRICT;
-- the pipeline summary: open deals counted and summed per stage and currency
CREATE INDEX deals_summary ON deals(pipeline_id, status, stage_id, currency, value);

CREATE TABLE leads (
  seq           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  title         TEXT NOT NULL,
  source        TEXT,
  status        TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'contacted', 'qualified', 'unqualified', 'converted')),
  value         INTEGER,
  currency      TEXT,
  score         INTEGER,
  score_sort    INTEGER NOT NULL GENERATED ALWAYS AS (coalesce(score, -1)) STORED,
  score_reasons TEXT NOT NULL DEFAULT '[]',
  owner_id      TEXT,
  company_id    TEXT REFERENCES companies(id) ON DELETE SET NULL,
  contact_id    TEXT REFERENCES contacts(id) ON DELETE SET NULL,
  deal_id       TEXT REFERENCES deals(id) ON DELETE SET NULL,
  converted_at  TEXT,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX leads_by_deal ON leads(deal_id);

CREATE TABLE activities (
  seq        INTEGER PRIMARY KEY,
  id         TEXT NOT NULL UNIQUE,
  type       TEXT NOT NULL CHECK (type IN ('note', 'call', 'email', 'meeting', 'task', 'stage_change')),
  subject    TEXT,
  body       TEXT,
  due_at     TEXT,
  due_sort   TEXT NOT NULL GENERATED ALWAYS AS (coalesce(due_at, '9999-12-31T23:59:59.999Z')) STORED,
  done       INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
  done_at    TEXT,
  owner_id   TEXT,
  company_id TEXT REFERENCES companies(id) ON DELETE SET NULL,
  contact_id TEXT REFERENCES contacts(id) ON DELETE SET NULL,
  lead_id    TEXT REFERENCES leads(id) ON DELETE SET NULL,
  deal_id    TEXT REFERENCES deals(id) ON DELETE SET NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) STRICT;

-- Full-text search over names, emails, domains and titles (external content, kept by triggers).
CREATE VIRTUAL TABLE companies_fts USING fts5(name, domain, website, content='companies', content_rowid='seq', prefix='2 3');
CREATE TRIGGER companies_fts_insert AFTER INSERT ON companies BEGIN
  INSERT INTO companies_fts(rowid, name, domain, website) VALUES (new.seq, new.name, new.domain, new.website);
END;
CREATE TRIGGER companies_fts_delete AFTER DELETE ON companies BEGIN
  INSERT INTO companies_fts(companies_fts, rowid, name, domain, website) VALUES ('delete', old.seq, old.name, old.domain, old.website);
END;
CREATE TRIGGER companies_fts_update AFTER UPDATE OF name, domain, website ON companies BEGIN
  INSERT INTO companies_fts(companies_fts, rowid, name, domain, website) VALUES ('delete', old.seq, old.name, old.domain, old.website);
  INSERT INTO companies_fts(rowid, name, domain, website) VALUES (new.seq, new.name, new.domain, new.website);
END;

CREATE VIRTUAL TABLE contacts_fts USING fts5(first_name, last_name, email, title, content='contacts', content_rowid='seq', prefix='2 3');
CREATE TRIGGER contacts_fts_insert AFTER INSERT ON contacts BEGIN
  INSERT INTO contacts_fts(rowid, first_name, last_name, email, title) VALUES (new.seq, new.first_name, new.last_name, new.email, new.title);
END;
CREATE TRIGGER contacts_fts_delete AFTER DELETE ON contacts BEGIN
  INSERT INTO contacts_fts(contacts_fts, rowid, first_name, last_name, email, title) VALUES ('delete', old.seq, old.first_name, old.last_name, old.email, old.title);
END;
CREATE TRIGGER contacts_fts_update AFTER UPDATE OF first_name, last_name, email, title ON contacts BEGIN
  INSERT INTO contacts_fts(contacts_fts, rowid, first_name, last_name, email, title) VALUES ('delete', old.seq, old.first_name, old.last_name, old.email, old.title);
  INSERT INTO contacts_fts(rowid, first_name, last_name, email, title) VALUES (new.seq, new.first_name, new.last_name, new.email, new.title);
END;

CREATE VIRTUAL TABLE leads_fts USING fts5(title, source, content='leads', content_rowid='seq', prefix='2 3');
CREATE TRIGGER leads_fts_insert AFTER INSERT ON leads BEGIN
  INSERT INTO leads_fts(rowid, title, source) VALUES (new.seq, new.title, new.source);
END;
CREATE TRIGGER leads_fts_delete AFTER DELETE ON leads BEGIN
  INSERT INTO leads_fts(leads_fts, rowid, title, source) VALUES ('delete', old.seq, old.title, old.source);
END;
CREATE TRIGGER leads_fts_update AFTER UPDATE OF title, source ON leads BEGIN
  INSERT INTO leads_fts(leads_fts, rowid, title, source) VALUES ('delete', old.seq, old.title, old.source);
  INSERT INTO leads_fts(rowid, title, source) VALUES (new.seq, new.title, new.source);
END;

CREATE VIRTUAL TABLE deals_fts USING fts5(name, content='deals', content_rowid='seq', prefix='2 3');
CREATE TRIGGER deals_fts_insert AFTER INSERT ON deals BEGIN
  INSERT INTO deals_fts(rowid, name) VALUES (new.seq, new.name);
END;
CREATE TRIGGER deals_fts_delete AFTER DELETE ON deals BEGIN
  INSERT INTO deals_fts(deals_fts, rowid, name) VALUES ('delete', old.seq, old.name);
END;
CREATE TRIGGER deals_fts_update AFTER UPDATE OF name ON deals BEGIN
  INSERT INTO deals_fts(deals_fts, rowid, name) VALUES ('delete', old.seq, old.name);
  INSERT INTO deals_fts(rowid, name) VALUES (new.seq, new.name);
END;

-- An index for every filter and sort the lists offer: (filter, sort key, id), generated from src/crm/lists.ts
-- (test/crm-plans.test.ts checks the planner uses them).
-- companies
CREATE INDEX companies_by_updated_at ON companies(updated_at, id);
CREATE INDEX companies_by_name ON companies(name, id);
CREATE INDEX companies_owner_id_id ON companies(owner_id, id);
CREATE INDEX companies_owner_id_updated_at ON companies(owner_id, updated_at, id);
CREATE INDEX companies_owner_id_name ON companies(owner_id, name, id);
CREATE INDEX companies_industry_id ON companies(industry, id);
CREATE INDEX companies_industry_updated_at ON companies(industry, updated_at, id);
CREATE INDEX companies_industry_name ON companies(industry, name, id);
CREATE INDEX companies_size_id ON companies(size, id);
CREATE INDEX companies_size_updated_at ON companies(size, updated_at, id);
CREATE INDEX companies_size_name ON companies(size, name, id);
CREATE INDEX companies_domain_id ON companies(domain, id);
CREATE INDEX companies_domain_updated_at ON companies(domain, updated_at, id);
CREATE INDEX companies_domain_name ON companies(domain, name, id);
-- contacts
CREATE INDEX contacts_by_updated_at ON contacts(updated_at, id);
CREATE INDEX contacts_by_sort_name ON contacts(sort_name, id);
CREATE INDEX contacts_owner_id_id ON contacts(owner_id, id);
CREATE INDEX contacts_owner_id_updated_at ON contacts(owner_id, updated_at, id);
CREATE INDEX contacts_owner_id_sort_name ON contacts(owner_id, sort_name, id);
CREATE INDEX contacts_company_id_id ON contacts(company_id, id);
CREATE INDEX contacts_company_id_updated_at ON contacts(company_id, updated_at, id);
CREATE INDEX contacts_company_id_sort_name ON contacts(company_id, sort_name, id);
CREATE INDEX contacts_email_id ON contacts(email, id);
CREATE INDEX contacts_email_updated_at ON contacts(email, updated_at, id);
CREATE INDEX contacts_email_sort_name ON contacts(email, sort_name, id);
-- leads
CREATE INDEX leads_by_updated_at ON leads(updated_at, id);
CREATE INDEX leads_by_score_sort ON leads(score_sort, id);
CREATE INDEX leads_status_id ON leads(status, id);
CREATE INDEX leads_status_updated_at ON leads(status, updated_at, id);
CREATE INDEX leads_status_score_sort ON leads(status, score_sort, id);
CREATE INDEX leads_owner_id_id ON leads(owner_id, id);
CREATE INDEX leads_owner_id_updated_at ON leads(owner_id, updated_at, id);
CREATE INDEX leads_owner_id_score_sort ON leads(owner_id, score_sort, id);
CREATE INDEX leads_company_id_id ON leads(company_id, id);
CREATE INDEX leads_company_id_updated_at ON leads(company_id, updated_at, id);
CREATE INDEX leads_company_id_score_sort ON leads(company_id, score_sort, id);
CREATE INDEX leads_contact_id_id ON leads(contact_id, id);
CREATE INDEX leads_contact_id_updated_at ON leads(contact_id, updated_at, id);
CREATE INDEX leads_contact_id_score_sort ON leads(contact_id, score_sort, id);
CREATE INDEX leads_source_id ON leads(source, id);
CREATE INDEX leads_source_updated_at ON leads(source, updated_at, id);
CREATE INDEX leads_source_score_sort ON leads(source, score_sort, id);
-- deals
CREATE INDEX deals_by_updated_at ON deals(updated_at, id);
CREATE INDEX deals_by_close_sort ON deals(close_sort, id);
CREATE INDEX deals_pipeline_id_id ON deals(pipeline_id, id);
CREATE INDEX deals_pipeline_id_updated_at ON deals(pipeline_id, updated_at, id);
CREATE INDEX deals_pipeline_id_close_sort ON deals(pipeline_id, close_sort, id);
CREATE INDEX deals_stage_id_id ON deals(stage_id, id);
CREATE INDEX deals_stage_id_updated_at ON deals(stage_id, updated_at, id);
CREATE INDEX deals_stage_id_close_sort ON deals(stage_id, close_sort, id);
CREATE INDEX deals_status_id ON deals(status, id);
CREATE INDEX deals_status_updated_at ON deals(status, updated_at, id);
CREATE INDEX deals_status_close_sort ON deals(status, close_sort, id);
CREATE INDEX deals_owner_id_id ON deals(owner_id, id);
CREATE INDEX deals_owner_id_updated_at ON deals(owner_id, updated_at, id);
CREATE INDEX deals_owner_id_close_sort ON deals(owner_id, close_sort, id);
CREATE INDEX deals_company_id_id ON deals(company_id, id);
CREATE INDEX deals_company_id_updated_at ON deals(company_id, updated_at, id);
CREATE INDEX deals_company_id_close_sort ON deals(company_id, close_sort, id);
CREATE INDEX deals_contact_id_id ON deals(contact_id, id);
CREATE INDEX deals_contact_id_updated_at ON deals(contact_id, updated_at, id);
CREATE INDEX deals_contact_id_close_sort ON deals(contact_id, close_sort, id);
-- activities
CREATE INDEX activities_by_updated_at ON activities(updated_at, id);
CREATE INDEX activities_by_due_sort ON activities(due_sort, id);
CREATE INDEX activities_type_id ON activities(type, id);
CREATE INDEX activities_type_updated_at ON activities(type, updated_at, id);
CREATE INDEX activities_type_due_sort ON activities(type, due_sort, id);
CREATE INDEX activities_done_id ON activities(done, id);
CREATE INDEX activities_done_updated_at ON activities(done, updated_at, id);
CREATE INDEX activities_done_due_sort ON activities(done, due_sort, id);
CREATE INDEX activities_owner_id_id ON activities(owner_id, id);
CREATE INDEX activities_owner_id_updated_at ON activities(owner_id, updated_at, id);
CREATE INDEX activities_owner_id_due_sort ON activities(owner_id, due_sort, id);
CREATE INDEX activities_company_id_id ON activities(company_id, id);
CREATE INDEX activities_company_id_updated_at ON activities(company_id, updated_at, id);
CREATE INDEX activities_company_id_due_sort ON activities(company_id, due_sort, id);
CREATE INDEX activities_contact_id_id ON activities(contact_id, id);
CREATE INDEX activities_contact_id_updated_at ON activities(contact_id, updated_at, id);
CREATE INDEX activities_contact_id_due_sort ON activities(contact_id, due_sort, id);
CREATE INDEX activities_lead_id_id ON activities(lead_id, id);
CREATE INDEX activities_lead_id_updated_at ON activities(lead_id, updated_at, id);
CREATE INDEX activities_lead_id_due_sort ON activities(lead_id, due_sort, id);
CREATE INDEX activities_deal_id_id ON activities(deal_id, id);
CREATE INDEX activities_deal_id_updated_at ON activities(deal_id, updated_at, id);
CREATE INDEX activities_deal_id_due_sort ON activities(deal_id, due_sort, id);

-- Every business starts with a default sales pipeline (ids: 26 hex digits, within the id alphabet).
INSERT INTO pipelines (id, name, is_default, created_at, updated_at)
VALUES ('pip_' || lower(hex(randomblob(13))), 'Sales', 1, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability)
SELECT 'stg_' || lower(hex(randomblob(13))), p.id, s.name, s.position, s.probability
  FROM pipelines p,
       (SELECT 'Qualified' AS name, 1 AS position, 10 AS probability
        UNION ALL SELECT 'Contact made', 2, 20
        UNION ALL SELECT 'Proposal made', 3, 50
        UNION ALL SELECT 'Negotiation', 4, 80) s
 WHERE p.is_default = 1;
