/** Collections, pure: overdue invoices → one reminder per customer, its tone by days overdue. */

export interface OverdueInvoice {
  invoiceId: string;
  number: string | null;
  customerId: string;
  customerName: string;
  email: string | null;
  currency: string;
  amountDue: number; // minor units of the invoice currency
  exponent: number;
  dueDate: string;
}

export type Tone = "friendly" | "firm" | "final";

export interface Reminder {
  customerId: string;
  customerName: string;
  to: string;
  tone: Tone;
  daysOverdue: number;
  invoiceIds: string[];
  subject: string;
  body: string;
}

export function toneFor(daysOverdue: number): Tone {
  return daysOverdue <= 14 ? "friendly" : daysOverdue <= 45 ? "firm" : "final";
}

const DAY = 86_400_000;
const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY);
const amount = (minor: number, exponent: number, currency: string) => `${(minor / 10 ** exponent).toFixed(exponent)} ${currency}`;

const OPENINGS: Record<Tone, string> = {
  friendly: "A friendly reminder: the invoices below have passed their due date. If you have already paid, thank you, and please ignore this message.",
  firm: "The invoices below are now well past their due date. Please arrange payment, or tell us when we can expect it.",
  final: "Despite earlier reminders, the invoices below remain unpaid long after their due date. Please pay them now or contact us today to avoid further steps.",
};

/** One reminder per customer with an email address; the others are returned so a person can follow up. */
export function draftReminders(invoices: OverdueInvoice[], today: string, businessName: string): { reminders: Reminder[]; withoutEmail: { customerId: string; customerName: string }[] } {
  const byCustomer = new Map<string, OverdueInvoice[]>();
  for (const inv of invoices) {
    const list = byCustomer.get(inv.customerId);
    if (list) list.push(inv);
    else byCustomer.set(inv.customerId, [inv]);
  }
  const reminders: Reminder[] = [];
  const withoutEmail: { customerId: string; customerName: string }[] = [];
  for (const [customerId, list] of byCustomer) {
    const first = list[0]!;
    const to = list.find((i) => i.email)?.email;
    if (!to) {
      withoutEmail.push({ customerId, customerName: first.customerName });
      continue;
    }
    const daysOverdue = Math.max(...list.map((i) => daysBetween(i.dueDate, today)));
    const tone = toneFor(daysOverdue);
    const totals = new Map<string, { minor: number; exponent: number }>();
    for (const i of list) totals.set(i.currency, { minor: (totals.get(i.currency)?.minor ?? 0) + i.amountDue, exponent: i.exponent });
    const lines = list
      .sort((a, b) => a.dueDate.localeCompare(b.dueDate))
      .map((i) => `- ${i.number ?? i.invoiceId}: ${amount(i.amountDue, i.exponent, i.currency)}, due ${i.dueDate} (${daysBetween(i.dueDate, today)} days ago)`);
    const total = [...totals].map(([c, t]) => amount(t.minor, t.exponent, c)).join(" + ");
    const subject = tone === "final" ? `Final reminder: ${total} overdue` : tone === "firm" ? `Overdue invoices: ${total}` : `Reminder: ${total} past due`;
    const body = [`Dear ${first.customerName},`, "", OPENINGS[tone], "", ...lines, "", `Total due: ${total}.`, "", "Kind regards,", businessName].join("\n");
    reminders.push({ customerId, customerName: first.customerName, to, tone, daysOverdue, invoiceIds: list.map((i) => i.invoiceId), subject, body });
  }
  return { reminders, withoutEmail };
}
