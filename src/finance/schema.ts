import { z } from "@hono/zod-openapi";
import { currencyCode } from "../businesses/schema.js";
import { pageQuery } from "../platform/pagination.js";
import { ACCOUNT_TYPES, isCalendarDate, QUANTITY_LIMITS, RATE_LIMITS, TAX_RATE_LIMITS } from "./ledger.js";
import { MAX_AMOUNT, parseDecimal } from "./money.js";

export const calendarDate = z
  .string()
  .refine(isCalendarDate, "must be a calendar date YYYY-MM-DD")
  .openapi({ type: "string", format: "date", example: "2025-01-31" });

/** An integer count of the currency's minor unit; fractions and floats are refused. */
export const amount = z
  .number()
  .int("must be an integer number of minor units")
  .min(0)
  .max(MAX_AMOUNT)
  .openapi({ description: "Integer minor units of the currency (cents for USD, yen for JPY).", example: 1000 });

const positiveAmount = amount.min(1);

const decimalString = (limits: { maxScale: number; maxIntegerDigits: number }, what: string, positive: boolean, example: string) =>
  z
    .string()
    .max(40)
    .refine((text) => {
      const value = parseDecimal(text, limits);
      return value !== undefined && (!positive || value.units > 0n);
    }, `must be a ${positive ? "positive " : ""}decimal string of at most ${limits.maxIntegerDigits} integer digits and ${limits.maxScale} decimals (${what})`)
    .openapi({ example, description: `A decimal string, never a binary float: ${what}.` });

export const quantity = decimalString(QUANTITY_LIMITS, "quantity", true, "1.5");
export const taxRate = decimalString(TAX_RATE_LIMITS, "a percentage", false, "8.875").refine(
  (text) => (parseDecimal(text, TAX_RATE_LIMITS)?.units ?? 0n) <= 100n * 10n ** BigInt(parseDecimal(text, TAX_RATE_LIMITS)?.scale ?? 0),
  "must be at most 100",
);
export const exchangeRate = decimalString(RATE_LIMITS, "units of the base currency per unit of the currency", true, "1.0834");

const id = z.string().min(1).max(64);
const text = (max: number) => z.string().trim().min(1).max(max);

// ---- accounts

export const accountType = z.enum(ACCOUNT_TYPES);

export const account = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    type: accountType,
    currency: z.string().nullable().openapi({ description: "Postings only in this currency; null: any currency." }),
    description: z.string().nullable(),
    systemKey: z
      .string()
      .nullable()
      .openapi({ description: "For the standard accounts the ledger posts to by itself: cash, receivable, tax_payable, revenue, fx_gain_loss, equity, retained_earnings." }),
    archived: z.boolean(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Account");

const accountCode = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9.\-_]{0,19}$/, "1–20 letters, digits, '.', '-' or '_'")
  .openapi({ example: "6300" });

export const createAccountBody = z
  .strictObject({
    code: accountCode,
    name: text(200),
    type: accountType,
    currency: currencyCode.nullable().optional(),
    description: text(1000).nullable().optional(),
  })
  .openapi("CreateAccount");

export const updateAccountBody = z
  .strictObject({
    code: accountCode.optional(),
    name: text(200).optional(),
    type: accountType.optional(),
    currency: currencyCode.nullable().optional(),
    description: text(1000).nullable().optional(),
    archived: z.boolean().optional(),
  })
  .openapi("UpdateAccount");

const booleanQuery = z.enum(["true", "false"]).transform((v) => v === "true");

export const accountListQuery = pageQuery.extend({
  type: accountType.optional(),
  archived: booleanQuery.optional().openapi({ description: "true: only archived; false: only active; absent: all." }),
});

export const accountIdParam = z.object({
  businessId: z.string().max(64).openapi({ param: { name: "businessId", in: "path" } }),
  accountId: z.string().max(64).openapi({ param: { name: "accountId", in: "path" } }),
});

// ---- journal

export const journalLineInput = z
  .strictObject({
    accountId: id,
    debit: amount.default(0),
    credit: amount.default(0),
    currency: currencyCode
      .optional()
      .openapi({ description: "The line's currency; default: the account's currency, else the business's base currency." }),
  })
  .refine((l) => (l.debit > 0) !== (l.credit > 0), { message: "a line has either a debit or a credit, greater than zero", path: ["debit"] })
  .openapi("JournalLineInput");

const rateOverride = z.strictObject({ currency: currencyCode, rate: exchangeRate }).openapi("RateOverride");

export const createJournalEntryBody = z
  .strictObject({
    date: calendarDate,
    memo: text(500).optional(),
    lines: z.array(journalLineInput).min(2).max(500),
    exchangeRates: z
      .array(rateOverride)
      .max(20)
      .superRefine((rates, ctx) => {
        rates.forEach((r, i) => {
          if (rates.findIndex((o) => o.currency === r.currency) < i) ctx.addIssue({ code: "custom", message: `${r.currency} is given twice`, path: [i, "currency"] });
        });
      })
      .optional()
      .openapi({ description: "Rates for foreign-currency lines; default: the business's rate table on the entry's date." }),
    counterpartyBusinessId: id
      .optional()
      .openapi({ description: "Another business of yours this entry is with (e.g. a purchase from it): marks it inter-company for the portfolio's consolidated statements." }),
  })
  .openapi("CreateJournalEntry");

export const reverseBody = z
  .strictObject({
    date: calendarDate.optional().openapi({ description: "Date of the correcting entry; default: the original's date." }),
    memo: text(500).optional(),
  })
  .openapi("ReverseEntry");

export const journalLine = z
  .object({
    accountId: z.string(),
    currency: z.string(),
    debit: z.number().int(),
    credit: z.number().int(),
    baseDebit: z.number().int(),
    baseCredit: z.number().int(),
  })
  .openapi("JournalLine");

export const SOURCE_TYPES = ["manual", "invoice", "payment", "reversal"] as const;

export const journalEntry = z
  .object({
    id: z.string(),
    date: z.string(),
    memo: z.string().nullable(),
    source: z.object({ type: z.enum(SOURCE_TYPES), id: z.string().nullable() }),
    reversalOf: z.string().nullable(),
    reversedBy: z.string().nullable(),
    counterpartyBusinessId: z.string().nullable(),
    baseCurrency: z.string(),
    lines: z.array(journalLine),
    createdAt: z.string(),
    createdBy: z.string(),
  })
  .openapi("JournalEntry");

export const journalListQuery = pageQuery.extend({
  from: calendarDate.optional(),
  to: calendarDate.optional(),
  accountId: id.optional(),
  source: z.enum(SOURCE_TYPES).optional(),
});

export const entryIdParam = z.object({
  businessId: z.string().max(64).openapi({ param: { name: "businessId", in: "path" } }),
  entryId: z.string().max(64).openapi({ param: { name: "entryId", in: "path" } }),
});

export const ledgerQuery = pageQuery.extend({ from: calendarDate.optional(), to: calendarDate.optional() });

export const ledgerRow = z
  .object({
    entryId: z.string(),
    date: z.string(),
    memo: z.string().nullable(),
    currency: z.string(),
    debit: z.number().int(),
    credit: z.number().int(),
    baseDebit: z.number().int(),
    baseCredit: z.number().int(),
    balance: z.number().int().openapi({ description: "Running balance in the base currency, positive on the account's normal side." }),
  })
  .openapi("LedgerRow");

export const ledgerPage = z
  .object({
    account: account,
    currency: z.string(),
    openingBalance: z.number().int().openapi({ description: "Balance before the first row of this page." }),
    data: z.array(ledgerRow),
    nextCursor: z.string().nullable(),
  })
  .openapi("GeneralLedger");

export const ledgerSettings = z
  .object({
    lockDate: z.string().nullable().openapi({ description: "Postings dated on or before it are refused (422)." }),
    baseCurrency: z.string(),
    nextInvoiceNumber: z.string(),
  })
  .openapi("LedgerSettings");

export const updateLedgerSettingsBody = z.strictObject({ lockDate: calendarDate.nullable() }).openapi("UpdateLedgerSettings");

// ---- exchange rates

export const exchangeRateRecord = z
  .object({ currency: z.string(), date: z.string(), rate: z.string(), baseCurrency: z.string(), createdAt: z.string(), updatedAt: z.string() })
  .openapi("ExchangeRate");

export const createExchangeRateBody = z
  .strictObject({ currency: currencyCode, date: calendarDate, rate: exchangeRate })
  .openapi("CreateExchangeRate");

export const exchangeRateListQuery = pageQuery.extend({
  currency: currencyCode.optional(),
  from: calendarDate.optional(),
  to: calendarDate.optional(),
});

// ---- invoices

export const invoiceLineInput = z
  .strictObject({
    description: text(500),
    quantity,
    unitPrice: amount.openapi({ description: "Price of one unit in minor units." }),
    taxRate: taxRate.openapi({ description: "A percentage as a decimal string (\"8.875\" = 8.875 %)." }),
  })
  .openapi("InvoiceLineInput");

export const createInvoiceBody = z
  .strictObject({
    customerId: id.openapi({ description: "A CRM company of this business." }),
    currency: currencyCode,
    issueDate: calendarDate,
    dueDate: calendarDate,
    memo: text(1000).optional(),
    exchangeRate: exchangeRate.optional().openapi({ description: "Fixes the rate; default: the rate table on the issue date." }),
    lines: z.array(invoiceLineInput).min(1).max(200),
  })
  .openapi("CreateInvoice");

export const updateInvoiceBody = z
  .strictObject({
    customerId: id.optional(),
    currency: currencyCode.optional(),
    issueDate: calendarDate.optional(),
    dueDate: calendarDate.optional(),
    memo: text(1000).nullable().optional(),
    exchangeRate: exchangeRate.nullable().optional(),
    lines: z.array(invoiceLineInput).min(1).max(200).optional(),
  })
  .openapi("UpdateInvoice");

export const INVOICE_STATUSES = ["draft", "issued", "partially_paid", "paid", "void"] as const;

export const invoice = z
  .object({
    id: z.string(),
    number: z.string().nullable(),
    customerId: z.string(),
    currency: z.string(),
    issueDate: z.string(),
    dueDate: z.string(),
    memo: z.string().nullable(),
    status: z.enum(INVOICE_STATUSES),
    overdue: z.boolean().openapi({ description: "Unpaid and past its due date (derived, as of today)." }),
    lines: z.array(
      z.object({ description: z.string(), quantity: z.string(), unitPrice: z.number().int(), taxRate: z.string(), net: z.number().int(), tax: z.number().int() }),
    ),
    subtotal: z.number().int(),
    taxTotal: z.number().int(),
    total: z.number().int(),
    amountPaid: z.number().int(),
    amountDue: z.number().int(),
    exchangeRate: z.string().nullable(),
    baseCurrency: z.string(),
    baseTotal: z.number().int().nullable(),
    issueEntryId: z.string().nullable(),
    voidEntryId: z.string().nullable(),
    issuedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Invoice");

export const invoiceListQuery = pageQuery.extend({
  status: z.enum([...INVOICE_STATUSES, "overdue"]).optional(),
  customerId: id.optional(),
});

export const invoiceIdParam = z.object({
  businessId: z.string().max(64).openapi({ param: { name: "businessId", in: "path" } }),
  invoiceId: z.string().max(64).openapi({ param: { name: "invoiceId", in: "path" } }),
});

export const voidBody = z
  .strictObject({ date: calendarDate.optional().openapi({ description: "Date of the reversing entry; default: the original's date." }) })
  .openapi("VoidRequest");

// ---- payments

export const createPaymentBody = z
  .strictObject({
    invoiceId: id,
    amount: positiveAmount,
    date: calendarDate,
    accountId: id.optional().openapi({ description: "The asset account receiving the money; default: the standard cash account." }),
    exchangeRate: exchangeRate.optional().openapi({ description: "For a foreign-currency invoice; default: the rate table on the payment date." }),
  })
  .openapi("CreatePayment");

export const payment = z
  .object({
    id: z.string(),
    invoiceId: z.string(),
    accountId: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    date: z.string(),
    status: z.enum(["posted", "void"]),
    exchangeRate: z.string(),
    baseCurrency: z.string(),
    baseAmount: z.number().int(),
    realisedFx: z.number().int().openapi({ description: "Realised exchange gain (positive) or loss (negative), in base minor units." }),
    entryId: z.string(),
    voidEntryId: z.string().nullable(),
    createdAt: z.string(),
  })
  .openapi("Payment");

export const paymentListQuery = pageQuery.extend({ invoiceId: id.optional() });

export const paymentIdParam = z.object({
  businessId: z.string().max(64).openapi({ param: { name: "businessId", in: "path" } }),
  paymentId: z.string().max(64).openapi({ param: { name: "paymentId", in: "path" } }),
});

// ---- reports

export const asOfQuery = z.strictObject({
  asOf: calendarDate.optional().openapi({ description: "Default: today (UTC)." }),
});

export const periodQuery = z.strictObject({
  from: calendarDate.optional().openapi({ description: "Default: 1 January of the year of `to`." }),
  to: calendarDate.optional().openapi({ description: "Default: today (UTC)." }),
});

const reportAccount = z.object({ accountId: z.string(), code: z.string(), name: z.string(), type: accountType });

export const trialBalance = z
  .object({
    asOf: z.string(),
    currency: z.string(),
    accounts: z.array(reportAccount.extend({ debit: z.number().int(), credit: z.number().int() })),
    totals: z.object({ debit: z.number().int(), credit: z.number().int() }),
  })
  .openapi("TrialBalance");

const amountLine = reportAccount.extend({ amount: z.number().int() });

export const profitAndLoss = z
  .object({
    from: z.string(),
    to: z.string(),
    currency: z.string(),
    revenue: z.array(amountLine),
    expenses: z.array(amountLine),
    totals: z.object({ revenue: z.number().int(), expenses: z.number().int(), netIncome: z.number().int() }),
  })
  .openapi("ProfitAndLoss");

export const balanceSheet = z
  .object({
    asOf: z.string(),
    currency: z.string(),
    assets: z.array(amountLine),
    liabilities: z.array(amountLine),
    equity: z.array(amountLine),
    currentEarnings: z.number().int().openapi({ description: "Revenue minus expenses not yet closed to retained earnings." }),
    totals: z.object({
      assets: z.number().int(),
      liabilities: z.number().int(),
      equity: z.number().int().openapi({ description: "Equity accounts plus current earnings." }),
      liabilitiesAndEquity: z.number().int(),
    }),
    balanced: z.boolean(),
  })
  .openapi("BalanceSheet");

export const generalLedgerReport = z
  .object({
    from: z.string(),
    to: z.string(),
    currency: z.string(),
    accounts: z.array(
      reportAccount.extend({
        opening: z.number().int(),
        debit: z.number().int(),
        credit: z.number().int(),
        closing: z.number().int().openapi({ description: "Positive on the account's normal side." }),
      }),
    ),
    totals: z.object({ debit: z.number().int(), credit: z.number().int() }),
  })
  .openapi("GeneralLedgerReport");

const buckets = {
  current: z.number().int(),
  days1to30: z.number().int(),
  days31to60: z.number().int(),
  days61to90: z.number().int(),
  days90plus: z.number().int(),
  total: z.number().int(),
};

export const arAging = z
  .object({
    asOf: z.string(),
    currency: z.string(),
    customers: z.array(z.object({ customerId: z.string(), customerName: z.string().nullable(), invoices: z.number().int(), ...buckets })),
    totals: z.object(buckets),
  })
  .openapi("ArAging");
