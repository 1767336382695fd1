import { ProblemError } from "../platform/problem.js";

/**
 * Refuses (415) a body whose Content-Encoding names any coding but identity: the API decodes none, and
 * coded bytes parsed as if plain would be read wrongly rather than refused.
 */
export function assertIdentityCoding(header: string | undefined): void {
  if (header === undefined) return;
  const coded = header.split(",").some((coding) => {
    const name = coding.trim().toLowerCase();
    return name !== "" && name !== "identity";
  });
  if (coded) {
    throw new ProblemError(415, "unsupported-media-type", "Request bodies are accepted only without a content coding (Content-Encoding: identity).", undefined, {
      "Accept-Encoding": "identity",
    });
  }
}
