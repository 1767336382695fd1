import type { Scenario } from "../lib/scenario.js";
import agents from "./agents.js";
import authFlow from "./auth-flow.js";
import businessRead from "./business-read.js";
import crm from "./crm.js";
import financial from "./financial.js";
import health from "./health.js";
import mixed from "./mixed.js";
import multiBusiness from "./multi-business.js";
import peakBurst from "./peak-burst.js";
import realtimeEvents from "./realtime-events.js";

/**
 * Every scenario this build can run, in the order they run (health first: others are compared with
 * it). To add one: write bench/scenarios/<name>.ts exporting a Scenario, list it here, remove it from
 * PLANNED, and point its targets in bench/targets.json at its name.
 */
export const SCENARIOS: readonly Scenario<any>[] = [health, businessRead, authFlow, multiBusiness, realtimeEvents, peakBurst, crm, financial, agents, mixed];

/**
 * Scenarios the suite is meant to have (the bench issue) that are not written yet; each is added when
 * its feature lands. Named here so the report says why their targets are not measured.
 */
export const PLANNED: Readonly<Record<string, string>> = {
  portfolio: "no portfolio scenario in the suite yet (GET /portfolio)",
};
