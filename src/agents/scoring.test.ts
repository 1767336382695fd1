import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fitModel, type LeadFacts, MIN_HISTORY, scoreByModel, scoreByRules } from "./scoring.js";

const blank: LeadFacts = {
  status: "new",
  value: null,
  hasCompany: false,
  companyHasDomain: false,
  companyHasIndustry: false,
  companySize: null,
  hasContact: false,
  contactHasEmail: false,
  contactHasPhone: false,
  activityCount: 0,
  daysSinceActivity: null,
  ageDays: 1,
};
const strong: LeadFacts = {
  status: "qualified",
  value: 250_000,
  hasCompany: true,
  companyHasDomain: true,
  companyHasIndustry: true,
  companySize: "1001-5000",
  hasContact: true,
  contactHasEmail: true,
  contactHasPhone: true,
  activityCount: 6,
  daysSinceActivity: 2,
  ageDays: 30,
};

const factsArb: fc.Arbitrary<LeadFacts> = fc.record({
  status: fc.constantFrom("new", "contacted", "qualified"),
  value: fc.option(fc.double({ min: 0, max: 1e12, noNaN: true }), { nil: null }),
  hasCompany: fc.boolean(),
  companyHasDomain: fc.boolean(),
  companyHasIndustry: fc.boolean(),
  companySize: fc.option(fc.constantFrom("1-10", "11-50", "1001-5000", "enterprise"), { nil: null }),
  hasContact: fc.boolean(),
  contactHasEmail: fc.boolean(),
  contactHasPhone: fc.boolean(),
  activityCount: fc.nat(1000),
  daysSinceActivity: fc.option(fc.double({ min: 0, max: 5000, noNaN: true }), { nil: null }),
  ageDays: fc.double({ min: 0, max: 5000, noNaN: true }),
});

describe("rules", () => {
  it("always give an integer 0–100 with at most five reasons", () => {
    fc.assert(
      fc.property(factsArb, (f) => {
        const s = scoreByRules(f);
        expect(Number.isInteger(s.score)).toBe(true);
        expect(s.score).toBeGreaterThanOrEqual(0);
        expect(s.score).toBeLessThanOrEqual(100);
        expect(s.reasons.length).toBeLessThanOrEqual(5);
        expect(s.method).toBe("rules");
      }),
    );
  });

  it("a well-qualified, engaged lead scores far above an empty one, and says why", () => {
    const hi = scoreByRules(strong);
    const lo = scoreByRules(blank);
    expect(hi.score).toBeGreaterThanOrEqual(90);
    expect(lo.score).toBe(0);
    expect(hi.reasons).toContain("+ qualified");
    expect(scoreByRules({ ...blank, ageDays: 90 }).reasons).toEqual(["- no activity for over 60 days"]);
  });

  it("more activity or being qualified never lowers the score", () => {
    fc.assert(
      fc.property(factsArb, fc.nat(20), (f, more) => {
        expect(scoreByRules({ ...f, activityCount: f.activityCount + more }).score).toBeGreaterThanOrEqual(scoreByRules(f).score);
        expect(scoreByRules({ ...f, status: "qualified" }).score).toBeGreaterThanOrEqual(scoreByRules({ ...f, status: "new" }).score);
      }),
    );
  });
});

describe("learning from won/lost history", () => {
  // in this business, leads with a phone number are won; the rest are lost
  const history = Array.from({ length: 40 }, (_, i) => ({ facts: { ...blank, contactHasPhone: i % 2 === 0, hasContact: true, activityCount: i % 3 }, won: i % 2 === 0 }));

  it("needs enough history with enough of each outcome", () => {
    expect(fitModel(history.slice(0, MIN_HISTORY - 1))).toBeUndefined();
    expect(fitModel(history.map((h) => ({ ...h, won: true })))).toBeUndefined();
    expect(fitModel(history)).toBeDefined();
  });

  it("is deterministic and learns what wins here", () => {
    const a = fitModel(history)!;
    const b = fitModel([...history])!;
    expect(a).toEqual(b);
    const withPhone = scoreByModel(a, { ...blank, hasContact: true, contactHasPhone: true });
    const without = scoreByModel(a, { ...blank, hasContact: true });
    expect(withPhone.score).toBeGreaterThan(70);
    expect(without.score).toBeLessThan(30);
    expect(withPhone.method).toBe("model");
    expect(withPhone.reasons[0]).toMatch(/learned/);
    expect(withPhone.reasons).toContain("+ the contact has a phone number");
  });
});
