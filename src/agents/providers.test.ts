import { describe, expect, it } from "vitest";
import { fromAnthropic } from "./providers/anthropic.js";
import { CircuitBreaker, ModelError, parseRetryAfter } from "./providers/model.js";
import { fromOpenai } from "./providers/openai.js";

describe("reply parsing", () => {
  it("reads OpenAI text, tool calls and usage", () => {
    const reply = fromOpenai({
      choices: [{ message: { content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "count_records", arguments: '{"kind":"leads"}' } }] } }],
      usage: { prompt_tokens: 12, completion_tokens: 3 },
    });
    expect(reply).toEqual({ text: "", toolCalls: [{ id: "c1", name: "count_records", arguments: { kind: "leads" } }], usage: { inputTokens: 12, outputTokens: 3 } });
    expect(fromOpenai({ choices: [{ message: { content: "hi" } }] }).usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it("reads Anthropic text and tool_use blocks", () => {
    const reply = fromAnthropic({
      content: [
        { type: "text", text: "Let me look. " },
        { type: "tool_use", id: "t1", name: "audit_status", input: {} },
      ],
      usage: { input_tokens: 7, output_tokens: 2 },
    });
    expect(reply).toEqual({ text: "Let me look. ", toolCalls: [{ id: "t1", name: "audit_status", arguments: {} }], usage: { inputTokens: 7, outputTokens: 2 } });
  });

  it("refuses garbage with a permanent ModelError", () => {
    const garbage = [null, 42, "text", {}, { choices: [] }, { choices: [{}] }, { choices: [{ message: { content: 5 } }] }, { choices: [{ message: { tool_calls: [{ id: 1 }] } }] }];
    for (const g of garbage) {
      expect(() => fromOpenai(g)).toThrow(ModelError);
      try {
        fromOpenai(g);
      } catch (error) {
        expect((error as ModelError).transient).toBe(false);
      }
    }
    for (const g of [null, {}, { content: "x" }, { content: [null] }, { content: [{ type: "tool_use", name: "x" }] }, { content: [{ type: "text" }] }]) {
      expect(() => fromAnthropic(g)).toThrow(/malformed/);
    }
  });
});

describe("Retry-After", () => {
  it("reads seconds and HTTP dates, ignores the rest", () => {
    expect(parseRetryAfter("3")).toBe(3000);
    expect(parseRetryAfter("Fri, 27 Nov 2026 15:00:10 GMT", Date.parse("2026-11-27T15:00:00Z"))).toBe(10_000);
    expect(parseRetryAfter("soon")).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
    expect(parseRetryAfter("999999")).toBe(3_600_000);
  });
});

describe("circuit breaker", () => {
  it("opens after consecutive transient failures, fails fast, lets one trial through after the cooldown", () => {
    let now = 0;
    const breaker = new CircuitBreaker(3, 1000, () => now);
    for (let i = 0; i < 3; i++) {
      breaker.admit();
      breaker.failure();
    }
    expect(breaker.state).toBe("open");
    expect(() => breaker.admit()).toThrow(/circuit is open/);
    now = 1500;
    expect(breaker.state).toBe("half-open");
    breaker.admit(); // the trial
    expect(() => breaker.admit()).toThrow(/circuit is open/); // only one at a time
    breaker.failure();
    expect(breaker.state).toBe("open");
    now = 3000;
    breaker.admit();
    breaker.success();
    expect(breaker.state).toBe("closed");
    breaker.admit();
  });

  it("a failure after successes does not open it", () => {
    const breaker = new CircuitBreaker(2, 1000, () => 0);
    breaker.failure();
    breaker.success();
    breaker.failure();
    expect(breaker.state).toBe("closed");
  });
});
