import { describe, expect, it } from "vitest";
import { draftReminders, type OverdueInvoice, toneFor } from "./collections.js";

const inv = (o: Partial<OverdueInvoice>): OverdueInvoice => ({
  invoiceId: "inv_1",
  number: "INV-000001",
  customerId: "cmp_1",
  customerName: "Acme",
  email: "ap@acme.example",
  currency: "USD",
  amountDue: 10_000,
  exponent: 2,
  dueDate: "2026-11-20",
  ...o,
});

describe("collections drafting", () => {
  it("sets the tone by days overdue", () => {
    expect([1, 14, 15, 45, 46, 400].map(toneFor)).toEqual(["friendly", "friendly", "firm", "firm", "final", "final"]);
  });

  it("drafts one reminder per customer over all its overdue invoices, totals per currency, oldest first", () => {
    const { reminders, withoutEmail } = draftReminders(
      [
        inv({ invoiceId: "inv_2", number: "INV-000002", dueDate: "2026-10-01", amountDue: 5_000 }),
        inv({ invoiceId: "inv_3", number: "INV-000003", currency: "JPY", exponent: 0, amountDue: 7_000 }),
        inv({ invoiceId: "inv_9", customerId: "cmp_2", customerName: "Quiet Co", email: null }),
      ],
      "2026-11-27",
      "Seller Ltd",
    );
    expect(withoutEmail).toEqual([{ customerId: "cmp_2", customerName: "Quiet Co" }]);
    expect(reminders).toHaveLength(1);
    const r = reminders[0]!;
    expect(r).toMatchObject({ customerId: "cmp_1", to: "ap@acme.example", tone: "final", daysOverdue: 57, invoiceIds: ["inv_2", "inv_3"] });
    expect(r.subject).toBe("Final reminder: 50.00 USD + 7000 JPY overdue");
    expect(r.body.split("\n")).toEqual([
      "Dear Acme,",
      "",
      expect.stringMatching(/^Despite earlier reminders/),
      "",
      "- INV-000002: 50.00 USD, due 2026-10-01 (57 days ago)",
      "- INV-000003: 7000 JPY, due 2026-11-20 (7 days ago)",
      "",
      "Total due: 50.00 USD + 7000 JPY.",
      "",
      "Kind regards,",
      "Seller Ltd",
    ]);
  });
});
