import fc from "fast-check";
import type { Result } from "hono/router";
import { TrieRouter } from "hono/router/trie-router";
import { describe, expect, it } from "vitest";
import { SegmentRouter } from "./router.js";

/** [handler, params] per match, whichever of Hono's two result forms a router answers in. */
function matches(result: Result<string>): [string, Record<string, string>][] {
  const [handlers, stash] = result as [[string, Record<string, string | number>][], string[]?];
  return handlers.map(([handler, params]) => [
    handler,
    Object.fromEntries(Object.entries(params).map(([name, value]) => [name, stash ? stash[value as number]! : (value as string)])),
  ]);
}

const METHODS = ["GET", "POST", "ALL"];
const FIXED = ["a", "b", "export", "v1"];
const PARAMS = [":id", ":other"];

/** Route shapes the app uses: fixed segments and parameters, maybe a trailing *, or * alone. */
const routePath = fc.oneof(
  { weight: 1, arbitrary: fc.constant("*") },
  {
    weight: 12,
    arbitrary: fc
      .tuple(fc.array(fc.constantFrom(...FIXED, ...PARAMS), { minLength: 1, maxLength: 4 }), fc.boolean())
      .filter(([parts]) => PARAMS.every((param) => parts.filter((part) => part === param).length < 2))
      .map(([parts, rest]) => `/${parts.join("/")}${rest ? "/*" : ""}`),
  },
);
/** Request paths over the same words, other values, empty segments and trailing slashes. */
const requestPath = fc
  .array(fc.constantFrom(...FIXED, "x", "42", "", "%41"), { minLength: 0, maxLength: 5 })
  .map((parts) => `/${parts.join("/")}`);

describe("SegmentRouter", () => {
  it("matches what Hono's TrieRouter matches, in the same order with the same parameters", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(...METHODS), routePath), { minLength: 1, maxLength: 25 }),
        fc.array(fc.tuple(fc.constantFrom("GET", "POST"), requestPath), { minLength: 1, maxLength: 20 }),
        (routes, requests) => {
          const ours = new SegmentRouter<string>();
          const hono = new TrieRouter<string>();
          routes.forEach(([method, path], i) => {
            ours.add(method, path, `${i} ${method} ${path}`);
            hono.add(method, path, `${i} ${method} ${path}`);
          });
          for (const [method, path] of requests) {
            expect(matches(ours.match(method, path)), `${method} ${path}`).toEqual(matches(hono.match(method, path)));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("keeps matching what Hono's TrieRouter matches when paths repeat and routes are added between matches", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.tuple(fc.constant("add" as const), fc.constantFrom(...METHODS), routePath),
            fc.tuple(fc.constant("match" as const), fc.constantFrom("GET", "POST"), fc.constantFrom("/a", "/a/x", "/v1/42/b", "/export/a/b")),
          ),
          { minLength: 1, maxLength: 40 },
        ),
        (steps) => {
          const ours = new SegmentRouter<string>();
          const hono = new TrieRouter<string>();
          steps.forEach(([step, method, path], i) => {
            if (step === "add") {
              ours.add(method, path, `${i} ${method} ${path}`);
              hono.add(method, path, `${i} ${method} ${path}`);
            } else {
              expect(matches(ours.match(method, path)), `${method} ${path}`).toEqual(matches(hono.match(method, path)));
            }
          });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("answers the app's own shape: middleware first, the fixed route beside a parameter one", () => {
    const router = new SegmentRouter<string>();
    router.add("ALL", "*", "context");
    router.add("ALL", "/api/v1/*", "credentials");
    router.add("ALL", "/api/v1/businesses/:businessId/*", "scope");
    router.add("GET", "/api/v1/businesses/:businessId/companies/export", "export");
    router.add("GET", "/api/v1/businesses/:businessId/companies/:companyId", "company");
    expect(matches(router.match("GET", "/api/v1/businesses/biz_1/companies/export"))).toEqual([
      ["context", {}],
      ["credentials", {}],
      ["scope", { businessId: "biz_1" }],
      ["export", { businessId: "biz_1" }],
      ["company", { businessId: "biz_1", companyId: "export" }],
    ]);
    expect(matches(router.match("POST", "/api/v1/businesses/biz_1/companies/cmp_2")).map(([name]) => name)).toEqual(["context", "credentials", "scope"]);
  });

  it("refuses route shapes it does not match like Hono would", () => {
    const router = new SegmentRouter<string>();
    expect(() => router.add("GET", "/a/:id?", "optional")).toThrow(/optional/);
    expect(() => router.add("GET", "/a/:id{[0-9]+}", "pattern")).toThrow(/pattern/);
    expect(() => router.add("GET", "/a/*/b", "inner")).toThrow(/last segment/);
    expect(() => router.add("GET", "/a/b*", "suffix")).toThrow(/last segment/);
    expect(() => router.add("GET", "/:id/a/:id", "twice")).toThrow(/twice/);
  });
});
