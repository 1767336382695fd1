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

/** The Anthropic Messages API (`POST {base}/v1/messages`) with tool use. */
export function anthropicProvider(options: ProviderOptions): ModelProvider {
  const base = options.baseUrl.replace(/\/+$/, "");
  return {
    name: "anthropic",
    model: options.model,
    price: options.price,
    async complete(request: ChatRequest, signal: AbortSignal): Promise<ChatReply> {
      const body: Record<string, unknown> = {
        model: options.model,
        max_tokens: request.maxTokens,
        system: request.system,
        messages: request.messages.map(toAnthropic),
      };
      if (request.tools.length > 0) {
        body.tools = request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters }));
      }
      const reply = await postJson(
        options,
        `${base}/v1/messages`,
        { "x-api-key": options.apiKey, "anthropic-version": "2023-06-01" },
        body,
        signal,
      );
      return fromAnthropic(reply);
    },
  };
}

function toAnthropic(message: ChatMessage): unknown {
  switch (message.role) {
    case "user":
      return { role: "user", content: message.text };
    case "assistant": {
      const content: unknown[] = [];
      if (message.text) content.push({ type: "text", text: message.text });
      for (const call of message.toolCalls) content.push({ type: "tool_use", id: call.id, name: call.name, input: call.arguments });
      return { role: "assistant", content };
    }
    case "tool":
      return { role: "user", content: message.results.map((r) => ({ type: "tool_result", tool_use_id: r.id, content: r.content })) };
  }
}

export function fromAnthropic(reply: unknown): ChatReply {
  if (!isRecord(reply) || !Array.isArray(reply.content)) throw malformed("no content array");
  let text = "";
  const toolCalls: ToolCall[] = [];
  for (const block of reply.content) {
    if (!isRecord(block)) throw malformed("a content block is not an object");
    if (block.type === "text") {
      if (typeof block.text !== "string") throw malformed("a text block without text");
      text += block.text;
    } else if (block.type === "tool_use") {
      if (typeof block.id !== "string" || typeof block.name !== "string" || !isRecord(block.input)) throw malformed("a tool_use block without id, name or input");
      toolCalls.push({ id: block.id, name: block.name, arguments: block.input });
    }
  }
  const usage = isRecord(reply.usage) ? reply.usage : {};
  return { text, toolCalls, usage: { inputTokens: tokens(usage.input_tokens), outputTokens: tokens(usage.output_tokens) } };
}
