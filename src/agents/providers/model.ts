/**
 * One interface over the language-model providers (Anthropic Messages, OpenAI-compatible Chat
 * Completions). Only `fetch` is used, so this runs on every runtime.
 */

export interface ToolSpec {
  name: string;
  description: string;
  /** JSON Schema of the tool's arguments. */
  parameters: Record<string, unknown>;
}

export interface ToolCall {
  id: string;
  name: string;
  arguments: unknown;
}

export type ChatMessage =
  | { role: "user"; text: string }
  | { role: "assistant"; text: string; toolCalls: ToolCall[] }
  | { role: "tool"; results: { id: string; content: string }[] };

export interface ChatRequest {
  system: string;
  messages: ChatMessage[];
  tools: ToolSpec[];
  maxTokens: number;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export interface ChatReply {
  text: string;
  toolCalls: ToolCall[];
  usage: Usage;
}

export interface ModelProvider {
  readonly name: "anthropic" | "openai";
  readonly model: string;
  /** Price in micro-dollars per token. */
  readonly price: { input: number; output: number };
  complete(request: ChatRequest, signal: AbortSignal): Promise<ChatReply>;
}

/** A model call that failed; `transient` failures are worth retrying (5xx, 429, timeouts, network). */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface ProviderOptions {
  apiKey: string;
  baseUrl: string;
  model: string;
  price: { input: number; output: number };
  /** Per-call limit; the call is aborted and counts as a transient failure. */
  timeoutMs: number;
  fetch?: typeof fetch;
}

/** Retry-After is seconds or an HTTP date; anything else is ignored. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.min(Number(trimmed) * 1000, 3_600_000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, Math.min(date - now, 3_600_000));
}

/** POSTs JSON and maps every way it can go wrong onto ModelError. */
export async function postJson(
  options: ProviderOptions,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  signal: AbortSignal,
): Promise<unknown> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), options.timeoutMs);
  const onAbort = () => timeout.abort();
  signal.addEventListener("abort", onAbort, { once: true });
  let response: Response;
  let text: string;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
      signal: timeout.signal,
    });
    text = await response.text();
  } catch (error) {
    if (signal.aborted) throw new ModelError("the task was stopped during a model call", false);
    if (timeout.signal.aborted) throw new ModelError(`the model did not answer within ${options.timeoutMs} ms`, true);
    throw new ModelError(`the model could not be reached: ${(error as Error).message}`, true);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
  }
  if (response.status === 429 || response.status === 408 || response.status >= 500) {
    throw new ModelError(`the model answered ${response.status}`, true, parseRetryAfter(response.headers.get("retry-after")));
  }
  if (!response.ok) throw new ModelError(`the model refused the request with ${response.status}: ${text.slice(0, 200)}`, false);
  try {
    return JSON.parse(text);
  } catch {
    throw new ModelError("the model's reply is not JSON", false);
  }
}

export function malformed(what: string): ModelError {
  return new ModelError(`the model's reply is malformed: ${what}`, false);
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

export function tokens(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? Math.floor(v) : 0;
}

/**
 * Per-provider circuit breaker: after `threshold` consecutive transient failures the circuit opens
 * and calls fail fast for `cooldownMs`; then one trial call decides whether it closes again.
 */
export class CircuitBreaker {
  private failures = 0;
  private openUntil = 0;
  private trialInFlight = false;

  constructor(
    private readonly threshold = 5,
    private readonly cooldownMs = 30_000,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): "closed" | "open" | "half-open" {
    if (this.failures < this.threshold) return "closed";
    return this.now() < this.openUntil ? "open" : "half-open";
  }

  /** Throws when the circuit is open; otherwise the caller may make the call. */
  admit(): void {
    const state = this.state;
    if (state === "open" || (state === "half-open" && this.trialInFlight)) {
      throw new ModelError("the model provider is failing; its circuit is open", true, Math.max(0, this.openUntil - this.now()));
    }
    if (state === "half-open") this.trialInFlight = true;
  }

  success(): void {
    this.failures = 0;
    this.trialInFlight = false;
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.failures >= this.threshold) this.openUntil = this.now() + this.cooldownMs;
  }
}
