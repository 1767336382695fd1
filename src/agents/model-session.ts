import type { Db } from "../platform/sql.js";
import { type ChatMessage, type ChatReply, type ChatRequest, type CircuitBreaker, ModelError, type ModelProvider, type ToolSpec } from "./providers/model.js";
import * as store from "./store.js";
import { budgetPeriod } from "./timing.js";

export interface Tool {
  spec: ToolSpec;
  run(args: unknown): unknown;
}

export interface ToolUse {
  name: string;
  arguments: unknown;
  result: unknown;
}

/**
 * A task's access to the model: every call passes the provider's circuit breaker, reserves its
 * worst-case cost from the business's monthly budget before it is made and settles the real cost
 * after, and adds its tokens and cost to the task.
 */
export class ModelSession {
  readonly spend: store.Spend = { calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0 };

  constructor(
    private readonly provider: ModelProvider,
    private readonly breaker: CircuitBreaker,
    private readonly budget: { monthlyMicros: number; withDb: <T>(fn: (db: Db) => T) => T },
    private readonly maxToolSteps: number,
    private readonly signal: AbortSignal,
  ) {}

  get providerName(): string {
    return this.provider.name;
  }

  get model(): string {
    return this.provider.model;
  }

  async complete(request: ChatRequest): Promise<ChatReply> {
    this.breaker.admit();
    const estimate = this.estimate(request);
    const period = budgetPeriod(Date.now());
    this.budget.withDb((db) =>
      db.transaction(() => {
        const b = store.budgetOf(db, period);
        if (b.spent + b.reserved + estimate > this.budget.monthlyMicros) {
          throw new ModelError(
            `the business's model budget for ${period} is exhausted (spent ${b.spent} of ${this.budget.monthlyMicros} micro-dollars)`,
            false,
          );
        }
        store.adjustBudget(db, period, estimate, 0);
      }),
    );
    let actual = 0;
    try {
      const reply = await this.provider.complete(request, this.signal);
      this.breaker.success();
      actual = reply.usage.inputTokens * this.provider.price.input + reply.usage.outputTokens * this.provider.price.output;
      this.spend.calls += 1;
      this.spend.inputTokens += reply.usage.inputTokens;
      this.spend.outputTokens += reply.usage.outputTokens;
      this.spend.costMicros += actual;
      return reply;
    } catch (error) {
      if (error instanceof ModelError && error.transient) this.breaker.failure();
      else if (error instanceof ModelError) this.breaker.success(); // the provider answered; the request was the problem
      throw error;
    } finally {
      this.budget.withDb((db) => db.transaction(() => store.adjustBudget(db, period, -estimate, actual)));
    }
  }

  /**
   * Lets the model call tools until it answers in text, at most maxToolSteps rounds; a model that keeps
   * calling tools, or calls one that does not exist, fails the task.
   */
  async runWithTools(system: string, question: string, tools: Tool[], maxTokens = 1024): Promise<{ text: string; used: ToolUse[] }> {
    const byName = new Map(tools.map((t) => [t.spec.name, t]));
    const messages: ChatMessage[] = [{ role: "user", text: question }];
    const used: ToolUse[] = [];
    for (let step = 0; step <= this.maxToolSteps; step++) {
      const reply = await this.complete({ system, messages, tools: tools.map((t) => t.spec), maxTokens });
      if (reply.toolCalls.length === 0) {
        if (!reply.text.trim()) throw new ModelError("the model answered with neither text nor a tool call", false);
        return { text: reply.text, used };
      }
      if (step === this.maxToolSteps) break;
      messages.push({ role: "assistant", text: reply.text, toolCalls: reply.toolCalls });
      const results: { id: string; content: string }[] = [];
      for (const call of reply.toolCalls) {
        const tool = byName.get(call.name);
        if (!tool) throw new ModelError(`the model called a tool that does not exist: ${call.name.slice(0, 60)}`, false);
        let result: unknown;
        try {
          result = tool.run(call.arguments);
        } catch (error) {
          result = { error: (error as Error).message };
        }
        used.push({ name: call.name, arguments: call.arguments, result });
        results.push({ id: call.id, content: JSON.stringify(result) });
      }
      messages.push({ role: "tool", results });
    }
    throw new ModelError(`the model was still calling tools after ${this.maxToolSteps} steps`, false);
  }

  /** Worst case: every character a token on the way in, and the full output allowance. */
  private estimate(request: ChatRequest): number {
    const chars = JSON.stringify(request.messages).length + request.system.length + JSON.stringify(request.tools).length;
    return Math.ceil(chars / 3) * this.provider.price.input + request.maxTokens * this.provider.price.output;
  }
}
