import { faker } from "@faker-js/faker";
import { CRM_FOCUS_BUSINESSES, CRM_VOLUMES, type CrmVolume, planCrm, type SeededCrm, seedCrm } from "./crm.js";
import { expectStatus, type Http, inBatches } from "./http.js";

/** The fixed seed: the same names, currencies, teams and roles every run, so runs compare. */
export const DATASET_SEED = 360;
export const PASSWORD = "bench correct horse battery staple";

export interface Person {
  name: string;
  email: string;
  userId: string;
  accessToken: string;
  refreshToken: string;
}

export interface SeededBusiness {
  id: string;
  name: string;
  baseCurrency: string;
  /** A viewer API key (integration traffic in the mixed scenario). */
  apiKey: string;
  memberCount: number;
  /** Members who own CRM records (the founder, admins and sales people). */
  ownerIds: string[];
  /** Its CRM book (companies, contacts, leads, activities). */
  crm: SeededCrm;
}

export interface CrmDatasetSummary {
  /** The businesses the crm scenario works in, with the larger book. */
  focusIds: string[];
  focusVolume: CrmVolume;
  otherVolume: CrmVolume;
  /** Records created in every business together. */
  records: number;
  /** Wall time of the CRM seeding (bulk requests), seconds. */
  seedSeconds: number;
}

export interface Dataset {
  seed: number;
  founder: Person;
  teammates: Person[];
  businesses: SeededBusiness[];
  memberships: number;
  apiKeys: number;
  crm: CrmDatasetSummary;
  /** Wall time of the whole seeding, seconds. */
  seedSeconds: number;
  /** Distinguishes this run's users when the target is a shared, already running instance. */
  runTag: string;
}

const slug = (s: string) =>
  s
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ".")
    .replace(/^\.+|\.+$/g, "")
    .slice(0, 40) || "user";


/**
 * Seeds, through the HTTP API only: one founder who owns N businesses (faker company names, a mix of
 * base currencies), a small team of teammates added to some businesses with various roles, and one
 * viewer API key per business. Teammates are few on purpose: each registration costs ~120 ms of
 * PBKDF2 by design. Then each business's CRM book (lib/crm.ts): a few thousand records of each kind in
 * the crm scenario's businesses, a small book in the others, through the bulk endpoints.
 */
export async function seedDataset(http: Http, options: { businesses: number; unique: boolean; quick: boolean; log: (s: string) => void }): Promise<Dataset> {
  const started = performance.now();
  faker.seed(DATASET_SEED);
  const runTag = options.unique ? `r${Date.now().toString(36)}` : "";
  const teamSize = Math.min(6, Math.max(2, Math.ceil(options.businesses / 5)));

  const register = async (i: number): Promise<Person> => {
    const first = faker.person.firstName();
    const last = faker.person.lastName();
    const name = `${first} ${last}`;
    const email = `${slug(first)}.${slug(last)}.${i}${runTag ? `.${runTag}` : ""}@bench.example.com`;
    const res = await http.post("/auth/register", { email, password: PASSWORD, name });
    expectStatus(res, 201, `register ${email}`);
    return { name, email, userId: res.body.user.id, accessToken: res.body.accessToken, refreshToken: res.body.refreshToken };
  };

  // faker draws happen in a fixed order (people first, then businesses) so the data is identical each run
  const founder = await register(0);
  const teammates: Person[] = [];
  for (let i = 1; i <= teamSize; i++) teammates.push(await register(i));
  options.log(`  seeded ${1 + teammates.length} users (founder + ${teammates.length} teammates)`);

  const plans = Array.from({ length: options.businesses }, () => {
    const name = faker.company.name().slice(0, 180);
    const baseCurrency = faker.helpers.weightedArrayElement([
      { weight: 10, value: "USD" },
      { weight: 4, value: "EUR" },
      { weight: 2, value: "GBP" },
      { weight: 1, value: "JPY" },
      { weight: 1, value: "CAD" },
      { weight: 1, value: "KWD" },
    ]);
    const team = faker.helpers.arrayElements(teammates, { min: 0, max: Math.min(4, teammates.length) });
    const roles = team.map(() =>
      faker.helpers.weightedArrayElement([
        { weight: 2, value: "admin" },
        { weight: 2, value: "accountant" },
        { weight: 3, value: "sales" },
        { weight: 3, value: "viewer" },
      ]),
    );
    return { name, baseCurrency, team, roles };
  });

  const token = founder.accessToken;
  const created = await inBatches(plans, 4, async (plan) => {
    const created = await http.post("/businesses", { name: plan.name, baseCurrency: plan.baseCurrency }, { token });
    expectStatus(created, 201, `create business ${plan.name}`);
    const id = created.body.id as string;
    for (const [i, person] of plan.team.entries()) {
      const added = await http.post(`/businesses/${id}/members`, { email: person.email, role: plan.roles[i] }, { token });
      expectStatus(added, 201, `add member to ${plan.name}`);
    }
    const key = await http.post(`/businesses/${id}/api-keys`, { name: "bench integration", role: "viewer" }, { token });
    expectStatus(key, 201, `create API key for ${plan.name}`);
    return { id, apiKey: key.body.key as string };
  });
  const memberships = plans.reduce((n, p) => n + 1 + p.team.length, 0);
  options.log(`  seeded ${created.length} businesses, ${memberships} memberships, ${created.length} API keys`);

  // the CRM books: every plan is drawn (in business order) before the first request, so the data is the
  // same every run; the crm scenario works in the businesses after the first (realtime-events renames that one)
  const volumes = options.quick ? CRM_VOLUMES.quick : CRM_VOLUMES.normal;
  const n = plans.length;
  const focusIndexes = new Set(n > CRM_FOCUS_BUSINESSES ? Array.from({ length: CRM_FOCUS_BUSINESSES }, (_, i) => i + 1) : Array.from({ length: n }, (_, i) => i));
  const crmPlans = plans.map((plan, i) => {
    const ownerIds = [founder.userId, ...plan.team.filter((_, k) => plan.roles[k] === "admin" || plan.roles[k] === "sales").map((p) => p.userId)];
    return { ownerIds, crm: planCrm(focusIndexes.has(i) ? volumes.focus : volumes.other, plan.baseCurrency, ownerIds) };
  });
  const crmStarted = performance.now();
  const crm = await inBatches(crmPlans, 2, (p, i) => seedCrm(http, token, created[i]!.id, p.crm, focusIndexes.has(i)));
  const crmSeconds = (performance.now() - crmStarted) / 1000;
  const records = crm.reduce((sum, c) => sum + c.counts.companies + c.counts.contacts + c.counts.leads + c.counts.activities, 0);
  const fv = volumes.focus;
  options.log(
    `  seeded ${records.toLocaleString("en-US")} CRM records in ${crmSeconds.toFixed(1)} s: ${focusIndexes.size} business(es) with ${fv.companies} companies, ${fv.contacts} contacts, ${fv.leads} leads, ${fv.activities} activities; the others ${volumes.other.companies}/${volumes.other.contacts}/${volumes.other.leads}/${volumes.other.activities}`,
  );

  const businesses: SeededBusiness[] = plans.map((plan, i) => ({
    id: created[i]!.id,
    name: plan.name,
    baseCurrency: plan.baseCurrency,
    apiKey: created[i]!.apiKey,
    memberCount: 1 + plan.team.length,
    ownerIds: crmPlans[i]!.ownerIds,
    crm: crm[i]!,
  }));
  return {
    seed: DATASET_SEED,
    founder,
    teammates,
    businesses,
    memberships,
    apiKeys: businesses.length,
    crm: {
      focusIds: businesses.filter((_, i) => focusIndexes.has(i)).map((b) => b.id),
      focusVolume: { ...volumes.focus },
      otherVolume: { ...volumes.other },
      records,
      seedSeconds: Math.round(crmSeconds * 10) / 10,
    },
    seedSeconds: Math.round((performance.now() - started) / 100) / 10,
    runTag,
  };
}

/** A fresh access token for the founder (POST /auth/refresh: no PBKDF2), so long runs never hit expiry. */
export async function refreshFounder(http: Http, dataset: Dataset): Promise<void> {
  const res = await http.post("/auth/refresh", { refreshToken: dataset.founder.refreshToken });
  expectStatus(res, 200, "refresh the founder's session");
  dataset.founder.accessToken = res.body.accessToken;
  dataset.founder.refreshToken = res.body.refreshToken;
}
