import { expect } from "vitest";
import type { ApiResponse } from "./api.js";

/** A refusal as the contract has it: problem+json with a detail and errors [{ path, message }], one of them at `path` if given. */
export function expectProblem(res: ApiResponse, status: number, path?: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type")).toContain("application/problem+json");
  expect(typeof res.body.detail).toBe("string");
  expect(Array.isArray(res.body.errors) && res.body.errors.length > 0, res.text).toBe(true);
  for (const e of res.body.errors) expect(typeof e.path === "string" && typeof e.message === "string", res.text).toBe(true);
  if (path !== undefined) expect(res.body.errors.map((e: { path: string }) => e.path), res.text).toContain(path);
}
