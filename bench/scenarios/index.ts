import type { Scenario } from "../lib/scenario.js";
import agents from "./agents.js";
import authFlow from "./auth-flow.js";
import businessRead from "./business-read.js";
import crm from "./crm.js";
import financial from "./financial.js";
import floor from "./floor.js";
import health from "./health.js";
import journalEntries from "./journal-entries.js";
import mixed from "./mixed.js";
import multiBusiness from "./multi-business.js";
import payments from "./payments.js";
import peakBurst from "./peak-burst.js";
import portfolio from "./portfolio.js";
import realtimeEvents from "./realtime-events.js";

/**
 * Every scenario this build can run, in the order they run (health first: others are compared with
 * it; the machine's floor just before the ledger writes whose CPU is compared with it). To add one:
 * write bench/scenarios/<name>.ts exporting a Scenario, list it here, remove it from
 * PLANNED, and point its targets in bench/targets.json at its name.
 */
export const SCENARIOS: readonly Scenario<any>[] = [health, businessRead, authFlow, multiBusiness, realtimeEvents, peakBurst, crm, financial, floor, payments, journalEntries, agents, portfolio, mixed];

/**
 * Scenarios the suite is meant to have that are not written yet, named so the report says why their
 * targets are not measured. Every scenario of the bench issue exists today.
 */
export const PLANNED: Readonly<Record<string, string>> = {};
