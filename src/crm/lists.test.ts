import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { newId } from "../platform/ids.js";
import { buildListQuery, idFloor, LISTS } from "./lists.js";
import { ftsQuery } from "./search.js";

describe("created-at ranges as id ranges", () => {
  it("an id made at t is >= idFloor(t) and < idFloor(t + 1)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), (ms) => {
        const id = newId("cmp", ms);
        const at = new Date(ms).toISOString();
        expect(id >= idFloor("cmp", at)).toBe(true);
        expect(id < idFloor("cmp", new Date(ms + 1).toISOString())).toBe(true);
        expect(id < idFloor("cmp", at)).toBe(false);
      }),
      { numRuns: 500 },
    );
  });
});

describe("the list query builder", () => {
  it("binds every value and never interpolates input into SQL", () => {
    const evil = "x'; DROP TABLE companies; --";
    const { sql, params } = buildListQuery(LISTS.company, { sort: "name", desc: true, filters: { industry: evil }, tag: evil, limit: 51, after: [evil, evil] });
    expect(sql).not.toContain("DROP");
    expect(params).toEqual([evil, evil, evil, evil, 51]);
    expect(sql).toContain("ORDER BY t.name DESC, g.company_id DESC");
  });
});

describe("search input", () => {
  it("turns any text into quoted prefix words, or nothing", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const q = ftsQuery(s);
        if (q === undefined) return;
        expect(q).toMatch(/^"[\p{L}\p{N}]+"\*( "[\p{L}\p{N}]+"\*)*$/u);
      }),
      { numRuns: 1000 },
    );
    expect(ftsQuery('acme" OR name:*')).toBe('"acme"* "or"* "name"*');
    expect(ftsQuery("  ***  ")).toBeUndefined();
    expect(ftsQuery("Ada@Acme.com")).toBe('"ada"* "acme"* "com"*');
  });
});
