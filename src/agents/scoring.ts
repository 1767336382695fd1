/**
 * Lead scoring, pure: a lead's facts → a score 0–100 with its reasons. Rules by default; once the
 * business has enough won/lost history, a logistic regression fitted to it (deterministic: zero start,
 * fixed learning rate and iteration count, no randomness).
 */

export interface LeadFacts {
  status: "new" | "contacted" | "qualified";
  /** Value in major units of its currency (the currency's exponent applied), or null. */
  value: number | null;
  hasCompany: boolean;
  companyHasDomain: boolean;
  companyHasIndustry: boolean;
  companySize: string | null;
  hasContact: boolean;
  contactHasEmail: boolean;
  contactHasPhone: boolean;
  activityCount: number;
  /** Days since the last activity, or null when there was none. */
  daysSinceActivity: number | null;
  /** Days since the lead was created. */
  ageDays: number;
}

export interface Score {
  score: number;
  reasons: string[];
  method: "rules" | "model";
}

export const FEATURES = [
  "company",
  "company_domain",
  "company_industry",
  "company_large",
  "contact",
  "contact_email",
  "contact_phone",
  "engaged",
  "recent_activity",
  "qualified",
  "contacted",
  "value",
  "stale",
] as const;

const REASONS: Record<(typeof FEATURES)[number], string> = {
  company: "linked to a company",
  company_domain: "the company has a known domain",
  company_industry: "the company's industry is known",
  company_large: "a larger company",
  contact: "has a contact person",
  contact_email: "the contact has an email address",
  contact_phone: "the contact has a phone number",
  engaged: "several recorded activities",
  recent_activity: "activity in the last 14 days",
  qualified: "qualified",
  contacted: "already contacted",
  value: "a sizeable expected value",
  stale: "no activity for over 60 days",
};

const LARGE = /^(51|101|201|251|501|1001|1000|5000|10000)|\+|large|enterprise/i;

/** The features in [0, 1]. */
export function featuresOf(f: LeadFacts): number[] {
  const values: Record<(typeof FEATURES)[number], number> = {
    company: f.hasCompany ? 1 : 0,
    company_domain: f.companyHasDomain ? 1 : 0,
    company_industry: f.companyHasIndustry ? 1 : 0,
    company_large: f.companySize && LARGE.test(f.companySize) ? 1 : 0,
    contact: f.hasContact ? 1 : 0,
    contact_email: f.contactHasEmail ? 1 : 0,
    contact_phone: f.contactHasPhone ? 1 : 0,
    engaged: Math.min(f.activityCount, 5) / 5,
    recent_activity: f.daysSinceActivity !== null && f.daysSinceActivity <= 14 ? 1 : 0,
    qualified: f.status === "qualified" ? 1 : 0,
    contacted: f.status === "contacted" ? 1 : 0,
    // 1 at a million, 0 at 10 or below, log-scaled in between
    value: f.value !== null && f.value > 10 ? Math.min(1, (Math.log10(f.value) - 1) / 5) : 0,
    stale: (f.daysSinceActivity ?? f.ageDays) > 60 ? 1 : 0,
  };
  return FEATURES.map((k) => values[k]);
}

/** Points per feature for the rules; they sum to 100 at best (stale subtracts). */
const RULE_POINTS = [8, 4, 4, 6, 6, 4, 3, 15, 12, 18, 8, 12, -20];

export function scoreByRules(facts: LeadFacts): Score {
  const x = featuresOf(facts);
  let total = 0;
  const contributions: [number, string][] = [];
  x.forEach((v, i) => {
    const points = v * RULE_POINTS[i]!;
    total += points;
    if (points !== 0) contributions.push([points, REASONS[FEATURES[i]!]]);
  });
  return { score: clampScore(total), reasons: explain(contributions), method: "rules" };
}

export interface Model {
  weights: number[];
  bias: number;
}

export const MIN_HISTORY = 20;
export const MIN_PER_CLASS = 5;

/** Fits only when the history is large enough and has enough of each outcome; otherwise undefined. */
export function fitModel(history: { facts: LeadFacts; won: boolean }[], iterations = 500, rate = 0.5, l2 = 0.01): Model | undefined {
  const won = history.filter((h) => h.won).length;
  if (history.length < MIN_HISTORY || won < MIN_PER_CLASS || history.length - won < MIN_PER_CLASS) return undefined;
  const xs = history.map((h) => featuresOf(h.facts));
  const ys = history.map((h) => (h.won ? 1 : 0));
  const weights = new Array<number>(FEATURES.length).fill(0);
  let bias = 0;
  const n = xs.length;
  for (let it = 0; it < iterations; it++) {
    const grad = new Array<number>(FEATURES.length).fill(0);
    let gradBias = 0;
    for (let j = 0; j < n; j++) {
      const x = xs[j]!;
      const error = sigmoid(dot(weights, x) + bias) - ys[j]!;
      for (let k = 0; k < x.length; k++) grad[k]! += error * x[k]!;
      gradBias += error;
    }
    for (let k = 0; k < weights.length; k++) weights[k] = weights[k]! - rate * (grad[k]! / n + l2 * weights[k]!);
    bias -= (rate * gradBias) / n;
  }
  return { weights, bias };
}

export function scoreByModel(model: Model, facts: LeadFacts): Score {
  const x = featuresOf(facts);
  const p = sigmoid(dot(model.weights, x) + model.bias);
  const contributions: [number, string][] = x.map((v, i) => [v * model.weights[i]!, REASONS[FEATURES[i]!]] as [number, string]).filter(([c]) => Math.abs(c) > 0.05);
  return { score: clampScore(p * 100), reasons: ["learned from this business's won and lost leads", ...explain(contributions)].slice(0, 6), method: "model" };
}

function explain(contributions: [number, string][]): string[] {
  return contributions
    .sort((a, b) => Math.abs(b[0]) - Math.abs(a[0]) || a[1].localeCompare(b[1]))
    .slice(0, 5)
    .map(([c, reason]) => (c >= 0 ? `+ ${reason}` : `- ${reason}`));
}

function clampScore(v: number): number {
  return Math.max(0, Math.min(100, Math.round(v)));
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
