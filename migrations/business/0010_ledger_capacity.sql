-- A business's lifetime debits (an entry balances, so also its credits): per currency in transaction
-- amounts, and under '*' in base amounts across all currencies; kept in the posting transaction. Every
-- figure a report gives is a sum of some postings' debits minus credits, so it lies within these totals;
-- the ledger refuses an entry that would take one past 2^53 − 1 (the CHECK), and every figure then stays exact as a
-- JSON number (decision 0020).
CREATE TABLE ledger_totals (
  currency TEXT PRIMARY KEY,
  -- 2^53 − 1: an upsert past it fails, and the posting transaction turns that into a 422
  debit    INTEGER NOT NULL CHECK (debit <= 9007199254740991)
) STRICT, WITHOUT ROWID;

INSERT INTO ledger_totals (currency, debit) SELECT currency, SUM(debit) FROM ledger_daily GROUP BY currency;
INSERT INTO ledger_totals (currency, debit) SELECT '*', SUM(base_debit) FROM ledger_daily HAVING COUNT(*) > 0;
