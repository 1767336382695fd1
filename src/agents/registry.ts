import type { z } from "@hono/zod-openapi";
import type { Permission } from "../businesses/roles.js";
import type { ChangeRecorder } from "../http/business-write.js";
import type { BusinessEvent } from "../platform/event-log.js";
import type { Db } from "../platform/sql.js";
import type { ModelSession } from "./model-session.js";

/** What an agent wants done, filed as a proposal; nothing with consequences happens until it is applied. */
export interface ProposalDraft {
  kind: string;
  targetType: string;
  targetId: string;
  summary: string;
  payload: unknown;
}

/** A kind of proposal: how it is validated and applied, and whether it touches money. */
export interface ProposalKind {
  kind: string;
  description: string;
  /** Money is never applied automatically, whatever an agent's policy says. */
  money: boolean;
  /** Besides agents:approve, the permission needed to approve it (the one a person would need to make the change). */
  approvePermission: Permission;
  payload: z.ZodType;
  /** Applies the change inside the approving transaction; throws a ProblemError when it no longer can. */
  apply(db: Db, rec: ChangeRecorder, proposal: { id: string; targetId: string; payload: unknown }): void;
}

export interface AgentContext {
  businessId: string;
  /** The business's name and base currency (its ledger's). */
  businessName: string;
  baseCurrency: string;
  taskId: string;
  attempt: number;
  input: unknown;
  settings: Record<string, unknown>;
  /** Aborted on cancel, timeout or shutdown. */
  signal: AbortSignal;
  /** Borrows the business database for one synchronous piece of work. */
  read<T>(fn: (db: Db) => T): T;
  /** The configured model, or undefined when COREFLOW_LLM=none. */
  model: ModelSession | undefined;
  /** Publishes a progress event on the business's event stream. */
  progress(message: string, data?: Record<string, unknown>): void;
}

export interface AgentOutcome {
  output: unknown;
  proposals?: ProposalDraft[];
}

export interface AgentDefinition {
  id: string;
  name: string;
  description: string;
  input: z.ZodType;
  output: z.ZodType;
  settings: z.ZodType;
  /** Permissions, besides agents:run, a caller needs to start it (what it reads). */
  requires: Permission[];
  /** The proposal kinds it may file, and the ones its policy lets apply without a person (never money). */
  policy: { files: string[]; autoApply: string[] };
  /** Business events that may start it (opt-in per business), and the input a batch of them becomes. */
  triggers?: { events: string[]; input(events: BusinessEvent[]): unknown };
  run(ctx: AgentContext): Promise<AgentOutcome>;
}

export class AgentRegistry {
  private readonly agents = new Map<string, AgentDefinition>();
  private readonly kinds = new Map<string, ProposalKind>();

  constructor(agents: AgentDefinition[], kinds: ProposalKind[]) {
    for (const kind of kinds) this.kinds.set(kind.kind, kind);
    for (const agent of agents) {
      for (const k of [...agent.policy.files, ...agent.policy.autoApply]) {
        const kind = this.kinds.get(k);
        if (!kind) throw new Error(`agent ${agent.id} names an unknown proposal kind ${k}`);
        if (agent.policy.autoApply.includes(k) && kind.money) throw new Error(`agent ${agent.id} may not auto-apply ${k}: it moves money`);
      }
      this.agents.set(agent.id, agent);
    }
  }

  get(id: string): AgentDefinition | undefined {
    return this.agents.get(id);
  }

  kind(kind: string): ProposalKind | undefined {
    return this.kinds.get(kind);
  }

  all(): AgentDefinition[] {
    return [...this.agents.values()];
  }
}
