/** An open `GET /businesses/{id}/events` stream, read in the background: what it delivered, and whether it ended. */
export interface SseEvent {
  id: number;
  event: string;
  data: any;
}

export interface OpenStream {
  status: number;
  /** The events delivered so far, in order. */
  events: SseEvent[];
  /** Everything received so far, comments included. */
  text(): string;
  /** Whether the server has ended the stream. */
  ended(): boolean;
  /** Waits until `predicate` holds (checked whenever data arrives); throws after `timeoutMs`. */
  until(predicate: (stream: OpenStream) => boolean, timeoutMs?: number): Promise<void>;
  /** Waits for the server to end the stream; true if it did within `timeoutMs`. */
  waitForEnd(timeoutMs?: number): Promise<boolean>;
  close(): void;
}

export async function openEventStream(
  baseUrl: string,
  businessId: string,
  token: string,
  options: { headers?: Record<string, string>; query?: string } = {},
): Promise<OpenStream> {
  const controller = new AbortController();
  const response = await fetch(`${baseUrl}/api/v1/businesses/${businessId}/events${options.query ?? ""}`, {
    headers: { Authorization: `Bearer ${token}`, ...options.headers },
    signal: controller.signal,
  });
  let buffer = "";
  let done = response.status !== 200;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of waiters) waiter();
  };
  const stream: OpenStream = {
    status: response.status,
    events: [],
    text: () => buffer,
    ended: () => done,
    async until(predicate, timeoutMs = 5_000) {
      if (predicate(stream)) return;
      await new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(stream)) finish();
          else if (done) finish(new Error(`the stream ended first; received:\n${buffer}`));
        };
        const timer = setTimeout(() => finish(new Error(`not within ${timeoutMs} ms; received:\n${buffer}`)), timeoutMs);
        const finish = (error?: Error) => {
          clearTimeout(timer);
          waiters.delete(check);
          if (error) reject(error);
          else resolve();
        };
        waiters.add(check);
        check();
      });
    },
    async waitForEnd(timeoutMs = 5_000) {
      try {
        await stream.until((s) => s.ended(), timeoutMs);
        return true;
      } catch {
        return false;
      }
    },
    close: () => controller.abort(),
  };
  if (response.status !== 200) {
    buffer = await response.text();
    return stream;
  }
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let pending = "";
  void (async () => {
    try {
      for (;;) {
        const { value, done: finished } = await reader.read();
        if (finished) break;
        const chunk = decoder.decode(value, { stream: true });
        buffer += chunk;
        pending += chunk;
        let end = pending.indexOf("\n\n");
        while (end >= 0) {
          const block = pending.slice(0, end);
          pending = pending.slice(end + 2);
          end = pending.indexOf("\n\n");
          const fields: Record<string, string> = {};
          for (const line of block.split("\n")) {
            const colon = line.indexOf(": ");
            if (line.startsWith(":") || colon < 0) continue;
            fields[line.slice(0, colon)] = line.slice(colon + 2);
          }
          if (fields.id !== undefined) stream.events.push({ id: Number(fields.id), event: fields.event ?? "message", data: JSON.parse(fields.data ?? "null") });
        }
        notify();
      }
    } catch {
      // aborted by close()
    } finally {
      done = true;
      notify();
    }
  })();
  return stream;
}
