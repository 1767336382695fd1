-- Portfolio (issue 5): the marks that let consolidated statements eliminate inter-company amounts
-- (docs/decisions/0041-consolidated-statements.md).

-- A CRM company that is another business of the same founder: invoices to it are inter-company sales.
ALTER TABLE companies ADD COLUMN linked_business_id TEXT;
CREATE INDEX companies_by_linked_business ON companies(linked_business_id) WHERE linked_business_id IS NOT NULL;

-- A manual journal entry with another business of the founder (e.g. a purchase from it): its
-- expense/payable side. Reversals inherit the mark through reversed_by.
ALTER TABLE journal_entries ADD COLUMN counterparty_business_id TEXT;
CREATE INDEX journal_entries_by_counterparty ON journal_entries(counterparty_business_id) WHERE counterparty_business_id IS NOT NULL;

-- posted entries stay immutable, their mark included
DROP TRIGGER journal_entries_are_immutable;
CREATE TRIGGER journal_entries_are_immutable BEFORE UPDATE ON journal_entries
WHEN NEW.seq IS NOT OLD.seq OR NEW.id IS NOT OLD.id OR NEW.date IS NOT OLD.date OR NEW.memo IS NOT OLD.memo
  OR NEW.source_type IS NOT OLD.source_type OR NEW.source_id IS NOT OLD.source_id
  OR NEW.reversal_of IS NOT OLD.reversal_of OR NEW.created_at IS NOT OLD.created_at OR NEW.created_by IS NOT OLD.created_by
  OR NEW.counterparty_business_id IS NOT OLD.counterparty_business_id
  OR OLD.reversed_by IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'posted journal entries are immutable'); END;
