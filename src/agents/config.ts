import { anthropicProvider } from "./providers/anthropic.js";
import { CircuitBreaker, type ModelProvider } from "./providers/model.js";
import { openaiProvider } from "./providers/openai.js";

export interface AgentConfig {
  /** Tasks running at once in the whole process. */
  concurrency: number;
  /** Tasks running at once per business. */
  businessConcurrency: number;
  /** Per attempt; a task that runs longer is stopped and retried (transient). */
  taskTimeoutMs: number;
  maxAttempts: number;
  /** First retry delay; doubles per attempt, with jitter, capped at retryMaxMs. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Model spend allowed per business per calendar month, in micro-dollars. */
  monthlyBudgetMicros: number;
  /** Tool-call rounds a model may take within one task before the task fails. */
  maxToolSteps: number;
  /** How long a proposal waits for a decision. */
  proposalTtlMs: number;
  /** The configured model, or none (every agent then uses its deterministic methods). */
  model: ModelProvider | undefined;
  breaker: CircuitBreaker;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 0): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got "${raw}"`);
  return value;
}

/** Prices in micro-dollars per token (e.g. $3 per million input tokens → 3). */
const DEFAULTS = {
  anthropic: { baseUrl: "https://api.anthropic.com", model: "claude-sonnet-4-5", input: 3, output: 15 },
  openai: { baseUrl: "https://api.openai.com/v1", model: "gpt-4.1-mini", input: 1, output: 4 },
} as const;

/** Agent settings from the environment (the runtime hands in its environment; nothing here reads globals). */
export function readAgentConfig(env: Env): AgentConfig {
  const llm = (env.COREFLOW_LLM || "none").toLowerCase();
  if (llm !== "none" && llm !== "anthropic" && llm !== "openai") throw new Error("COREFLOW_LLM must be anthropic, openai or none");
  const callTimeoutMs = int(env, "COREFLOW_LLM_TIMEOUT_MS", 60_000, 1);
  let model: ModelProvider | undefined;
  if (llm !== "none") {
    const d = DEFAULTS[llm];
    const prefix = llm === "anthropic" ? "ANTHROPIC" : "OPENAI";
    const apiKey = env[`${prefix}_API_KEY`] ?? "";
    if (llm === "anthropic" && !apiKey) throw new Error("COREFLOW_LLM=anthropic needs ANTHROPIC_API_KEY");
    const options = {
      apiKey,
      baseUrl: env[`${prefix}_BASE_URL`] || d.baseUrl,
      model: env.COREFLOW_LLM_MODEL || d.model,
      price: { input: int(env, "COREFLOW_LLM_INPUT_PRICE", d.input), output: int(env, "COREFLOW_LLM_OUTPUT_PRICE", d.output) },
      timeoutMs: callTimeoutMs,
    };
    model = llm === "anthropic" ? anthropicProvider(options) : openaiProvider(options);
  }
  return {
    concurrency: int(env, "AGENT_CONCURRENCY", 8, 1),
    businessConcurrency: int(env, "AGENT_BUSINESS_CONCURRENCY", 2, 1),
    taskTimeoutMs: int(env, "AGENT_TASK_TIMEOUT_MS", 300_000, 1),
    maxAttempts: int(env, "AGENT_MAX_ATTEMPTS", 4, 1),
    retryBaseMs: int(env, "AGENT_RETRY_BASE_MS", 2_000),
    retryMaxMs: int(env, "AGENT_RETRY_MAX_MS", 300_000),
    monthlyBudgetMicros: int(env, "AGENT_MONTHLY_BUDGET_MICROS", 20_000_000),
    maxToolSteps: int(env, "AGENT_MAX_TOOL_STEPS", 8, 1),
    proposalTtlMs: int(env, "AGENT_PROPOSAL_TTL_SECONDS", 7 * 86_400, 1) * 1000,
    model,
    breaker: new CircuitBreaker(int(env, "COREFLOW_LLM_BREAKER_THRESHOLD", 5, 1), int(env, "COREFLOW_LLM_BREAKER_COOLDOWN_MS", 30_000, 1)),
  };
}
