import {
  type ChatMessage,
  type ChatReply,
  type ChatRequest,
  isRecord,
  malformed,
  type ModelProvider,
  type ProviderOptions,
  postJson,
  type ToolCall,
  tokens,
} from "./model.js";

/** OpenAI-compatible Chat Completions (`POST {base}/chat/completions`) with tool calls. */
export function openaiProvider(options: ProviderOptions): ModelProvider {
  const base = options.baseUrl.replace(/\/+$/, "");
  return {
    name: "openai",
    model: options.model,
    price: options.price,
    async complete(request: ChatRequest, signal: AbortSignal): Promise<ChatReply> {
      const body: Record<string, unknown> = {
        model: options.model,
        max_tokens: request.maxTokens,
        messages: [{ role: "system", content: request.system }, ...request.messages.flatMap(toOpenai)],
      };
      if (request.tools.length > 0) {
        body.tools = request.tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));
      }
      const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
      return fromOpenai(await postJson(options, `${base}/chat/completions`, headers, body, signal));
    },
  };
}

function toOpenai(message: ChatMessage): unknown[] {
  switch (message.role) {
    case "user":
      return [{ role: "user", content: message.text }];
    case "assistant": {
      const out: Record<string, unknown> = { role: "assistant", content: message.text || null };
      if (message.toolCalls.length > 0) {
        out.tool_calls = message.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: JSON.stringify(c.arguments) } }));
      }
      return [out];
    }
    case "tool":
      return message.results.map((r) => ({ role: "tool", tool_call_id: r.id, content: r.content }));
  }
}

export function fromOpenai(reply: unknown): ChatReply {
  if (!isRecord(reply) || !Array.isArray(reply.choices) || reply.choices.length === 0) throw malformed("no choices");
  const choice = reply.choices[0];
  if (!isRecord(choice) || !isRecord(choice.message)) throw malformed("no message in the first choice");
  const message = choice.message;
  if (message.content !== null && message.content !== undefined && typeof message.content !== "string") throw malformed("content is not text");
  const toolCalls: ToolCall[] = [];
  if (message.tool_calls !== undefined && message.tool_calls !== null) {
    if (!Array.isArray(message.tool_calls)) throw malformed("tool_calls is not an array");
    for (const call of message.tool_calls) {
      if (!isRecord(call) || typeof call.id !== "string" || !isRecord(call.function) || typeof call.function.name !== "string") {
        throw malformed("a tool call without id or function name");
      }
      const raw = call.function.arguments;
      let args: unknown;
      try {
        args = typeof raw === "string" ? (raw.trim() === "" ? {} : JSON.parse(raw)) : raw;
      } catch {
        throw malformed(`the arguments of tool call ${call.function.name} are not JSON`);
      }
      if (!isRecord(args)) throw malformed(`the arguments of tool call ${call.function.name} are not an object`);
      toolCalls.push({ id: call.id, name: call.function.name, arguments: args });
    }
  }
  const usage = isRecord(reply.usage) ? reply.usage : {};
  return {
    text: typeof message.content === "string" ? message.content : "",
    toolCalls,
    usage: { inputTokens: tokens(usage.prompt_tokens), outputTokens: tokens(usage.completion_tokens) },
  };
}
