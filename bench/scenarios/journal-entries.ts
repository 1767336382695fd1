import { balancedCheck, type LedgerBusiness, ledgerBusiness, ledgerConnections, ledgerLoad, ledgerPost, persistedCheck, trialBalance } from "../lib/ledger-writes.js";
import type { Scenario } from "../lib/scenario.js";

interface Prepared {
  business: LedgerBusiness;
  rentBefore: number;
}

const RENT = 100;

/**
 * Manual journal entries into one business at maximum throughput: rent against payables, two lines each
 * (checked accounts, balanced, audited, with an event). The server's CPU per entry is the figure;
 * warmed up in `prepare`, outside it.
 */
const journalEntries: Scenario<Prepared> = {
  name: "journal-entries",
  title: "Journal entries into one business",
  description:
    "Closed-loop POST /journal-entries (two lines: rent 1.00 against payables) in a business of its own, after a warm-up outside the measurement; server CPU per entry; then every acknowledged entry must be in the rent account and the trial balance must balance.",
  writes: true,
  async prepare(ctx) {
    const business = await ledgerBusiness(ctx, "Journal bench");
    await ledgerLoad(ctx, entry(business), "journal-entries warm-up");
    const rent = (await trialBalance(ctx, business)).line("6200");
    return { business, rentBefore: rent.debit - rent.credit };
  },
  async run(ctx, { business, rentBefore }) {
    const load = await ledgerLoad(ctx, entry(business));
    return {
      load,
      throughputMeaning: "entries/s acknowledged (201)",
      latencyMeaning: "send → 201",
      verify: async () => {
        const { totals, line } = await trialBalance(ctx, business);
        const rent = line("6200");
        const payables = line("2000");
        return [
          persistedCheck("every acknowledged entry is in the rent account", (rent.debit - rent.credit - rentBefore) / RENT, load.ok, ledgerConnections(ctx)),
          { name: "payables mirror rent", ok: payables.credit - payables.debit === rent.debit - rent.credit, detail: `payables ${payables.credit - payables.debit}, rent ${rent.debit - rent.credit}` },
          balancedCheck(totals),
        ];
      },
    };
  },
};

/** Rent against payables. */
function entry(business: LedgerBusiness) {
  return ledgerPost(business, "/journal-entries", {
    date: "2026-01-03",
    memo: "Rent",
    lines: [{ accountId: business.accounts["6200"], debit: RENT }, { accountId: business.accounts["2000"], credit: RENT }],
  });
}

export default journalEntries;
