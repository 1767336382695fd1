import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Counter, Histogram, MetricsRegistry } from "./metrics.js";

/** The exposition's value per label set, parsed back from a counter's text. */
function counted(counter: Counter): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of counter.render().split("\n")) {
    const match = line.match(/^\w+(?:\{(.*)\})? (\d+)$/);
    if (match) values.set(match[1] ?? "", Number(match[2]));
  }
  return values;
}

/** A label value as the exposition format writes it. */
const escaped = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");

describe("metrics", () => {
  it("counts each label set apart, whatever its values hold (separators, quotes, newlines)", () => {
    const value = fc.oneof(fc.constantFrom("", "a", "a\u0000b", "\u0001", 'say "x"', "back\\slash", "two\nlines", "route=/x"), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(fc.record({ route: value, status: value }), { minLength: 1, maxLength: 40 }), (sets) => {
        const counter = new Counter("t_total", "test");
        const expected = new Map<string, number>();
        for (const labels of sets) {
          counter.inc(labels);
          const key = `route="${escaped(labels.route)}",status="${escaped(labels.status)}"`;
          expected.set(key, (expected.get(key) ?? 0) + 1);
        }
        expect(counted(counter)).toEqual(expected);
      }),
    );
  });

  it("keeps counting right past the label sets it remembers", () => {
    const counter = new Counter("t_total", "test");
    for (let round = 0; round < 2; round++) for (let i = 0; i < 15_000; i++) counter.inc({ route: `/r${i}`, method: "GET" });
    const values = counted(counter);
    expect(values.size).toBe(15_000);
    expect([...values.values()].every((v) => v === 2)).toBe(true);
    expect(values.get('route="/r14999",method="GET"')).toBe(2);
  });

  it("renders a set without labels, and a histogram's series per label set", () => {
    const counter = new Counter("t_total", "test");
    counter.inc();
    counter.inc({}, 2);
    expect(counted(counter)).toEqual(new Map([["", 3]]));
    const histogram = new Histogram("t_seconds", "test", [0.1, 1]);
    histogram.observe({ route: "/a" }, 0.05);
    histogram.observe({ route: "/a" }, 0.5);
    histogram.observe({ route: "/b" }, 2);
    const text = histogram.render();
    expect(text).toContain('t_seconds_bucket{route="/a",le="0.1"} 1\n');
    expect(text).toContain('t_seconds_bucket{route="/a",le="1"} 2\n');
    expect(text).toContain('t_seconds_count{route="/b"} 1\n');
    expect(text).toContain('t_seconds_bucket{route="/b",le="1"} 0\n');
  });

  it("counts a request through its route's series as through label sets", () => {
    const request = fc.record({
      route: fc.constantFrom("/health", "/api/v1/businesses/:businessId", "unmatched"),
      method: fc.constantFrom("GET", "POST", "PATCH"),
      status: fc.constantFrom(200, 201, 304, 404, 422),
      seconds: fc.double({ min: 0, max: 5, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(request, { maxLength: 60 }), (requests) => {
        const bySeries = new MetricsRegistry();
        const byLabels = new MetricsRegistry();
        for (const { route, method, status, seconds } of requests) {
          const series = bySeries.routeSeries(route, method);
          series.status(status).value += 1;
          series.duration.observe(seconds);
          byLabels.httpRequests.inc({ route, method, status: String(status) });
          byLabels.httpDuration.observe({ route, method }, seconds);
        }
        expect(bySeries.render()).toBe(byLabels.render());
      }),
    );
  });
});
