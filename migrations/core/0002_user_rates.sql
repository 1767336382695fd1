-- A user's own exchange-rate table, dated: what the portfolio converts each business's figures with.
-- One row says 1 unit of `base` = `rate` units of `quote` on `date` (a decimal string, never a float).
CREATE TABLE user_exchange_rates (
  user_id    TEXT NOT NULL REFERENCES users(id),
  base       TEXT NOT NULL,
  quote      TEXT NOT NULL,
  date       TEXT NOT NULL,
  rate       TEXT NOT NULL,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (user_id, base, quote, date)
) STRICT, WITHOUT ROWID;
-- the list filtered by quote alone, and the inverse lookup (quote → base) of the portfolio
CREATE INDEX user_exchange_rates_by_quote ON user_exchange_rates(user_id, quote, base, date);
-- the list filtered by date alone
CREATE INDEX user_exchange_rates_by_date ON user_exchange_rates(user_id, date);
