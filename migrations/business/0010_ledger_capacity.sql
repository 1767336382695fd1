-- A business's lifetime debits per currency (an entry balances, so also its credits), transaction and base
-- amounts, kept in the posting transaction. Every figure a report gives is a sum of postings' debits minus
-- credits over some subset, so it lies within these totals; the ledger refuses an entry that would take
-- one past 2^53 − 1, and every figure then stays exact as a JSON number (decision 0020).
CREATE TABLE ledger_totals (
  currency   TEXT PRIMARY KEY,
  debit      INTEGER NOT NULL,
  base_debit INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

INSERT INTO ledger_totals (currency, debit, base_debit)
  SELECT currency, SUM(debit), SUM(base_debit) FROM ledger_daily GROUP BY currency;
