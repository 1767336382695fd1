import { type IncomingMessage, type OutgoingHttpHeader, type OutgoingHttpHeaders, ServerResponse } from "node:http";
import { onResponseHeaders, type ResponseHeaderWriter } from "../../http/response-headers.js";

type AnswerHeaders = OutgoingHttpHeaders | OutgoingHttpHeader[];

/**
 * Node's answer object, which writes the headers the app adds after its handler (security, request id,
 * timing) in the same writeHead as the answer's own: a setHeader per header keeps a [name, value]
 * array of each in a second table, and once any is set Node takes the answer's own headers through
 * setHeader too (its slow path) instead of writing the object it is handed.
 * Used as the server's ServerResponse (`createServer({ ServerResponse: AnswerResponse }, …)`).
 */
export class AnswerResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {
  private added: Readonly<Record<string, string>>[] | undefined;

  /** Headers to send with the answer; a header the answer itself carries keeps the answer's value. */
  addHeaders(headers: Readonly<Record<string, string>>): void {
    if (this.added) this.added.push(headers);
    else this.added = [headers];
  }

  // every way of starting an answer comes here: write(), end() and flushHeaders() call writeHead too
  override writeHead(statusCode: number, reason?: string | AnswerHeaders, headers?: AnswerHeaders): this {
    const added = this.added;
    if (!added) return super.writeHead(statusCode, reason as string, headers);
    this.added = undefined;
    const message = typeof reason === "string" ? reason : undefined;
    const own = typeof reason === "string" ? headers : reason;
    if (Array.isArray(own)) {
      // the raw [name, value, …] form: Node merges it over headers set beforehand
      for (const set of added) for (const name in set) if (!this.hasHeader(name)) this.setHeader(name, set[name]!);
      return super.writeHead(statusCode, message as string, own);
    }
    const merged: OutgoingHttpHeaders = {};
    // headers set on the answer beforehand (setHeader) stay as they are too
    const preset = this.getHeaderNames().length > 0;
    for (const set of added) for (const name in set) if (!preset || !this.hasHeader(name)) merged[name] = set[name];
    if (own) {
      for (const name in own) {
        // the added names are lower case; the answer's may not be, and Node would send both
        const lower = name.toLowerCase();
        if (lower !== name && lower in merged) delete merged[lower];
        merged[name] = own[name];
      }
    }
    return super.writeHead(statusCode, message as string, merged);
  }
}

/** Hands the headers to the AnswerResponse of the request; on another response object, sets them on the answer's Headers. */
export const onServerResponse: ResponseHeaderWriter = (c, headers) => {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing instanceof AnswerResponse && !outgoing.headersSent) outgoing.addHeaders(headers);
  else onResponseHeaders(c, headers);
};
