import { faker } from "@faker-js/faker";
import { expectStatus, type Http } from "./http.js";

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
}

export interface Dataset {
  seed: number;
  founder: Person;
  teammates: Person[];
  businesses: SeededBusiness[];
  memberships: number;
  apiKeys: number;
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

/** Runs `work` over `items` with at most `limit` in flight. */
async function inBatches<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!, i);
      }
    }),
  );
  return out;
}

/**
 * Seeds, through the HTTP API only: one founder who owns N businesses (faker company names, a mix of
 * base currencies), a small team of teammates added to some businesses with various roles, and one
 * viewer API key per business. Teammates are few on purpose: each registration costs ~120 ms of
 * PBKDF2 by design.
 */
export async function seedDataset(http: Http, options: { businesses: number; unique: boolean; log: (s: string) => void }): Promise<Dataset> {
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
  const businesses = await inBatches(plans, 4, async (plan) => {
    const created = await http.post("/businesses", { name: plan.name, baseCurrency: plan.baseCurrency }, { token });
    expectStatus(created, 201, `create business ${plan.name}`);
    const id = created.body.id as string;
    for (const [i, person] of plan.team.entries()) {
      const added = await http.post(`/businesses/${id}/members`, { email: person.email, role: plan.roles[i] }, { token });
      expectStatus(added, 201, `add member to ${plan.name}`);
    }
    const key = await http.post(`/businesses/${id}/api-keys`, { name: "bench integration", role: "viewer" }, { token });
    expectStatus(key, 201, `create API key for ${plan.name}`);
    return { id, name: plan.name, baseCurrency: plan.baseCurrency, apiKey: key.body.key as string, memberCount: 1 + plan.team.length };
  });
  const memberships = businesses.reduce((n, b) => n + b.memberCount, 0);
  options.log(`  seeded ${businesses.length} businesses, ${memberships} memberships, ${businesses.length} API keys`);
  return { seed: DATASET_SEED, founder, teammates, businesses, memberships, apiKeys: businesses.length, runTag };
}

/** A fresh access token for the founder (POST /auth/refresh: no PBKDF2), so long runs never hit expiry. */
export async function refreshFounder(http: Http, dataset: Dataset): Promise<void> {
  const res = await http.post("/auth/refresh", { refreshToken: dataset.founder.refreshToken });
  expectStatus(res, 200, "refresh the founder's session");
  dataset.founder.accessToken = res.body.accessToken;
  dataset.founder.refreshToken = res.body.refreshToken;
}
