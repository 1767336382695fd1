import { describe, expect, it } from "vitest";
import { ProblemError, unprocessable } from "./problem.js";

describe("ProblemError", () => {
  it("carries no stack frames, and leaves other errors theirs", () => {
    const limit = Error.stackTraceLimit;
    const nested = () => unprocessable("The payment is more than the amount due.", [{ path: "amount", message: "too much" }]);
    const problem = nested();
    expect(problem).toBeInstanceOf(ProblemError);
    expect(problem.stack).not.toMatch(/\n\s+at /);
    expect(problem.toProblem()).toMatchObject({ status: 422, detail: "The payment is more than the amount due.", errors: [{ path: "amount" }] });
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error("a fault").stack).toMatch(/\n\s+at /);
  });
});
