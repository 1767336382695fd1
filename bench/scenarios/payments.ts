import { balancedCheck, type LedgerBusiness, ledgerBusiness, ledgerConnections, ledgerLoad, ledgerPost, persistedCheck, trialBalance } from "../lib/ledger-writes.js";
import type { Scenario, ScenarioContext } from "../lib/scenario.js";

interface Prepared {
  business: LedgerBusiness;
  paidBefore: number;
}

/** One cent against the business's invoice. */
const payment = (business: LedgerBusiness) => ledgerPost(business, "/payments", { invoiceId: business.invoiceId, amount: 1, date: "2026-01-02" });

const amountPaid = async (ctx: ScenarioContext, business: LedgerBusiness): Promise<number> => {
  const res = await ctx.http.get(`${business.base}/invoices/${business.invoiceId}`, { token: business.token });
  if (res.status !== 200) throw new Error(`the invoice: ${res.status} ${res.text.slice(0, 200)}`);
  return res.body.amountPaid as number;
};

/**
 * Payments into one business at maximum throughput: one issued invoice paid in 1-cent payments (each a
 * journal entry of cash against receivable, an audit entry and an event, committed before it is
 * answered). The server's CPU per payment is the figure; warmed up in `prepare`, outside it.
 */
const payments: Scenario<Prepared> = {
  name: "payments",
  title: "Payments into one business",
  description:
    "Closed-loop POST /payments (1 cent each) against one issued invoice in a business of its own, after a warm-up outside the measurement; server CPU per payment; then every acknowledged payment must be in the invoice and the ledger, and the trial balance must balance.",
  writes: true,
  async prepare(ctx) {
    const business = await ledgerBusiness(ctx, "Payments bench");
    await ledgerLoad(ctx, payment(business), "payments warm-up");
    return { business, paidBefore: await amountPaid(ctx, business) };
  },
  async run(ctx, { business, paidBefore }) {
    const load = await ledgerLoad(ctx, payment(business));
    return {
      load,
      throughputMeaning: "payments/s acknowledged (201)",
      latencyMeaning: "send → 201",
      verify: async () => {
        const paid = (await amountPaid(ctx, business)) - paidBefore;
        const { totals, line } = await trialBalance(ctx, business);
        const cash = line("1000");
        return [
          persistedCheck("every acknowledged payment is in the invoice's amount paid", paid, load.ok, ledgerConnections(ctx)),
          { name: "cash holds what the invoice was paid", ok: cash.debit - cash.credit === paid + paidBefore, detail: `cash ${cash.debit - cash.credit}, amount paid ${paid + paidBefore}` },
          balancedCheck(totals),
        ];
      },
    };
  },
};

export default payments;
