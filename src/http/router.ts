import type { ParamIndexMap, Result, Router } from "hono/router";
import { splitPath } from "hono/utils/url";

/** One registered handler: its method ("ALL" for middleware), registration order and the pair Hono reads. */
interface Route<T> {
  method: string;
  order: number;
  entry: [T, ParamIndexMap];
}

interface Segment<T> {
  routes: Route<T>[];
  fixed: Map<string, Segment<T>>;
  /** `:name` — any one non-empty segment (the name is the route's: each route maps it to a position) */
  param?: Segment<T>;
  /** a trailing `*` — the path so far, and anything below it */
  rest?: Segment<T>;
}

const segment = <T>(): Segment<T> => ({ routes: [], fixed: new Map() });

/**
 * Paths whose answers a router keeps, and the longest path kept: anyone can send paths, so what they
 * can make it hold stays a few MB (the app's own paths are well under 200 characters).
 */
const MAX_ANSWERS = 4096;
const MAX_KEPT_PATH = 256;

/**
 * Hono's router for this app: a trie of path segments that matches what Hono's TrieRouter matches for
 * the route shapes the app uses — fixed segments, `:name` parameters and a trailing `*` — and refuses
 * any other shape when the route is added. Hono's RegExpRouter cannot take routes where a fixed and a
 * parameter segment are siblings (`companies/export` beside `companies/:companyId`), and its
 * TrieRouter builds parameter objects, node lists and a sorted copy for every request; here a match
 * costs the split path (which is also where parameter values are read from), the list of matches and
 * the answer. Every matching handler comes back in the order it was added, as Hono's routers do.
 */
export class SegmentRouter<T> implements Router<T> {
  readonly name = "SegmentRouter";
  private readonly root = segment<T>();
  private added = 0;
  /**
   * Answers given, by method and path: a client writes to and reads the same paths again and again (a
   * business's payments, its dashboard). Hono only reads an answer, so one serves every request for its
   * path. Bounded: when full it starts over (a new Map, decision 0009); emptied when a route is added.
   */
  private answers = new Map<string, Result<T>>();

  add(method: string, path: string, handler: T): void {
    if (this.answers.size > 0) this.answers = new Map();
    if (/[?{}]/.test(path)) throw new Error(`SegmentRouter: optional and pattern parameters are not supported: ${path}`);
    const parts = splitPath(path);
    const params: ParamIndexMap = Object.create(null);
    let node = this.root;
    parts.forEach((part, i) => {
      if (part === "*" && i === parts.length - 1) {
        node.rest ??= segment();
        node = node.rest;
      } else if (part.includes("*")) {
        throw new Error(`SegmentRouter: * only as a path's last segment: ${path}`);
      } else if (part.startsWith(":")) {
        if (part.slice(1) in params) throw new Error(`SegmentRouter: a parameter name twice in one path: ${path}`);
        params[part.slice(1)] = i;
        node.param ??= segment();
        node = node.param;
      } else {
        let next = node.fixed.get(part);
        if (!next) {
          next = segment();
          node.fixed.set(part, next);
        }
        node = next;
      }
    });
    node.routes.push({ method, order: this.added++, entry: [handler, params] });
  }

  match(method: string, path: string): Result<T> {
    const key = `${method} ${path}`;
    const answered = this.answers.get(key);
    if (answered) return answered;
    const parts = splitPath(path);
    const found: Route<T>[] = [];
    collect(this.root, parts, 0, method, found);
    // insertion sort by registration order: a handful of matches, nearly in order already
    for (let i = 1; i < found.length; i++) {
      const route = found[i]!;
      let j = i - 1;
      while (j >= 0 && found[j]!.order > route.order) {
        found[j + 1] = found[j]!;
        j -= 1;
      }
      found[j + 1] = route;
    }
    const handlers = new Array<[T, ParamIndexMap]>(found.length);
    for (let i = 0; i < found.length; i++) handlers[i] = found[i]!.entry;
    const answer: Result<T> = [handlers, parts];
    if (path.length <= MAX_KEPT_PATH) {
      if (this.answers.size >= MAX_ANSWERS) this.answers = new Map();
      this.answers.set(key, answer);
    }
    return answer;
  }
}

function take<T>(routes: Route<T>[], method: string, found: Route<T>[]): void {
  for (const route of routes) if (route.method === method || route.method === "ALL") found.push(route);
}

function collect<T>(node: Segment<T>, parts: string[], i: number, method: string, found: Route<T>[]): void {
  if (i === parts.length) {
    take(node.routes, method, found);
    if (node.rest) take(node.rest.routes, method, found);
    return;
  }
  if (node.rest) take(node.rest.routes, method, found);
  const part = parts[i]!;
  const fixed = node.fixed.get(part);
  if (fixed) collect(fixed, parts, i + 1, method, found);
  if (node.param && part !== "") collect(node.param, parts, i + 1, method, found);
}
