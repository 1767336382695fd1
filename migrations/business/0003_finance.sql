-- Finance: chart of accounts, the double-entry ledger, exchange rates, invoices and payments.
-- Money is INTEGER minor units everywhere; decimals (quantities, rates) are exact decimal TEXT.

CREATE TABLE accounts (
  id          TEXT PRIMARY KEY,
  code        TEXT NOT NULL UNIQUE,
  name        TEXT NOT NULL,
  type        TEXT NOT NULL CHECK (type IN ('asset', 'liability', 'equity', 'revenue', 'expense')),
  -- NULL: postings in any currency; otherwise only in this one
  currency    TEXT,
  description TEXT,
  -- the role of a standard account the ledger posts to by itself (receivable, revenue, ...)
  system_key  TEXT UNIQUE,
  archived_at TEXT,
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL
) STRICT;
CREATE INDEX accounts_by_type ON accounts(type, code);

-- The standard chart every business starts with.
INSERT INTO accounts (id, code, name, type, currency, description, system_key, created_at, updated_at)
SELECT 'acc_' || lower(hex(randomblob(13))), column1, column2, column3, NULL, column4, column5,
       strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
  FROM (VALUES
    ('1000', 'Cash', 'asset', 'Bank and cash; invoice payments are received here by default.', 'cash'),
    ('1100', 'Accounts receivable', 'asset', 'What customers owe on issued invoices.', 'receivable'),
    ('1500', 'Equipment', 'asset', NULL, NULL),
    ('2000', 'Accounts payable', 'liability', NULL, NULL),
    ('2100', 'Tax payable', 'liability', 'Sales tax charged on invoices.', 'tax_payable'),
    ('3000', 'Owner''s equity', 'equity', NULL, 'equity'),
    ('3100', 'Retained earnings', 'equity', NULL, 'retained_earnings'),
    ('4000', 'Sales revenue', 'revenue', 'Revenue from issued invoices.', 'revenue'),
    ('4900', 'Other income', 'revenue', NULL, NULL),
    ('5000', 'Cost of goods sold', 'expense', NULL, NULL),
    ('6000', 'Operating expenses', 'expense', NULL, NULL),
    ('6100', 'Salaries', 'expense', NULL, NULL),
    ('6200', 'Rent', 'expense', NULL, NULL),
    ('7900', 'Foreign exchange gain/loss', 'expense', 'Realised gains (credits) and losses (debits) on foreign-currency payments.', 'fx_gain_loss')
  );

-- One row: the lock date and the next invoice number (assigned at issue, in the issuing transaction).
CREATE TABLE finance_settings (
  id                  INTEGER PRIMARY KEY CHECK (id = 1),
  lock_date           TEXT,
  next_invoice_number INTEGER NOT NULL
) STRICT;
INSERT INTO finance_settings (id, lock_date, next_invoice_number) VALUES (1, NULL, 1);

CREATE TABLE journal_entries (
  seq          INTEGER PRIMARY KEY,
  id           TEXT NOT NULL UNIQUE,
  date         TEXT NOT NULL,
  memo         TEXT,
  -- manual | invoice | payment | reversal
  source_type  TEXT NOT NULL,
  source_id    TEXT,
  reversal_of  TEXT REFERENCES journal_entries(id),
  reversed_by  TEXT REFERENCES journal_entries(id),
  created_at   TEXT NOT NULL,
  created_by   TEXT NOT NULL
) STRICT;
CREATE INDEX journal_entries_by_date ON journal_entries(date, seq);
CREATE INDEX journal_entries_by_source ON journal_entries(source_type, date, seq);
-- posted entries never change: only the link to their reversal may be set, once
CREATE TRIGGER journal_entries_are_immutable BEFORE UPDATE ON journal_entries
WHEN NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.date IS NOT OLD.date OR NEW.memo IS NOT OLD.memo
  OR NEW.source_type IS NOT OLD.source_type OR NEW.source_id IS NOT OLD.source_id
  OR NEW.reversal_of IS NOT OLD.reversal_of OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by
  OR OLD.reversed_by IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'posted journal entries are immutable'); END;
CREATE TRIGGER journal_entries_are_kept BEFORE DELETE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'posted journal entries are immutable'); END;

-- One row per journal line: the transaction amount and its base-currency amount.
CREATE TABLE postings (
  seq         INTEGER PRIMARY KEY,
  entry_seq   INTEGER NOT NULL REFERENCES journal_entries(seq),
  account_id  TEXT NOT NULL REFERENCES accounts(id),
  date        TEXT NOT NULL,
  currency    TEXT NOT NULL,
  debit       INTEGER NOT NULL CHECK (debit >= 0),
  credit      INTEGER NOT NULL CHECK (credit >= 0),
  base_debit  INTEGER NOT NULL CHECK (base_debit >= 0),
  base_credit INTEGER NOT NULL CHECK (base_credit >= 0)
) STRICT;
CREATE INDEX postings_by_entry ON postings(entry_seq);
CREATE INDEX postings_by_account ON postings(account_id, date, seq);
CREATE TRIGGER postings_are_immutable BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are immutable'); END;
CREATE TRIGGER postings_are_kept BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are immutable'); END;

-- Cached totals per account, day and currency, maintained in the posting transaction; reports read
-- these instead of scanning every posting (tests prove them equal to the postings).
CREATE TABLE ledger_daily (
  account_id  TEXT NOT NULL,
  date        TEXT NOT NULL,
  currency    TEXT NOT NULL,
  debit       INTEGER NOT NULL,
  credit      INTEGER NOT NULL,
  base_debit  INTEGER NOT NULL,
  base_credit INTEGER NOT NULL,
  PRIMARY KEY (account_id, date, currency)
) STRICT, WITHOUT ROWID;
CREATE INDEX ledger_daily_by_date ON ledger_daily(date);

-- 1 unit of currency = rate units of the base currency, from date on (until the next rate).
CREATE TABLE exchange_rates (
  currency   TEXT NOT NULL,
  date       TEXT NOT NULL,
  rate       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (currency, date)
) STRICT, WITHOUT ROWID;

CREATE TABLE invoices (
  id             TEXT PRIMARY KEY,
  number         TEXT UNIQUE,
  customer_id    TEXT NOT NULL,
  currency       TEXT NOT NULL,
  issue_date     TEXT NOT NULL,
  due_date       TEXT NOT NULL,
  memo           TEXT,
  -- draft | issued | void; partially paid and paid follow from amount_paid
  state          TEXT NOT NULL CHECK (state IN ('draft', 'issued', 'void')),
  subtotal       INTEGER NOT NULL,
  tax_total      INTEGER NOT NULL,
  total          INTEGER NOT NULL,
  amount_paid    INTEGER NOT NULL DEFAULT 0 CHECK (amount_paid >= 0 AND amount_paid <= total),
  -- the rate asked for on the invoice, or (once issued) the rate it was issued at
  exchange_rate  TEXT,
  base_total     INTEGER,
  -- base amount of receivable already cleared by payments (at the issue rate)
  base_cleared   INTEGER NOT NULL DEFAULT 0,
  issue_entry_id TEXT,
  void_entry_id  TEXT,
  voided_on      TEXT,
  issued_at      TEXT,
  created_at     TEXT NOT NULL,
  updated_at     TEXT NOT NULL
) STRICT;
CREATE INDEX invoices_by_state ON invoices(state, id);
CREATE INDEX invoices_by_customer ON invoices(customer_id, id);
CREATE INDEX invoices_by_due_date ON invoices(state, due_date);

CREATE TABLE invoice_lines (
  invoice_id  TEXT NOT NULL REFERENCES invoices(id),
  line_no     INTEGER NOT NULL,
  description TEXT NOT NULL,
  quantity    TEXT NOT NULL,
  unit_price  INTEGER NOT NULL,
  tax_rate    TEXT NOT NULL,
  net         INTEGER NOT NULL,
  tax         INTEGER NOT NULL,
  PRIMARY KEY (invoice_id, line_no)
) STRICT, WITHOUT ROWID;

CREATE TABLE payments (
  id            TEXT PRIMARY KEY,
  invoice_id    TEXT NOT NULL REFERENCES invoices(id),
  account_id    TEXT NOT NULL REFERENCES accounts(id),
  amount        INTEGER NOT NULL CHECK (amount > 0),
  currency      TEXT NOT NULL,
  date          TEXT NOT NULL,
  exchange_rate TEXT NOT NULL,
  base_amount   INTEGER NOT NULL,
  -- receivable cleared at the invoice's rate; base_amount - base_cleared is the realised FX result
  base_cleared  INTEGER NOT NULL,
  entry_id      TEXT NOT NULL,
  void_entry_id TEXT,
  voided_on     TEXT,
  created_at    TEXT NOT NULL
) STRICT;
CREATE INDEX payments_by_invoice ON payments(invoice_id, id);
