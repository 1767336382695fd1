import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { arch, cpus, platform, release, totalmem } from "node:os";
import { join } from "node:path";

/** The commit of the working tree, read from .git directly (no git process); null when there is none. */
export function currentCommit(root = "."): string | null {
  if (process.env.GIT_COMMIT && /^[0-9a-f]{7,40}$/i.test(process.env.GIT_COMMIT)) return process.env.GIT_COMMIT;
  try {
    let gitDir = join(root, ".git");
    if (!existsSync(gitDir)) return null;
    // a worktree's .git is a file pointing at the real directory
    if (!existsSync(join(gitDir, "HEAD"))) {
      const pointer = readFileSync(gitDir, "utf8").match(/^gitdir:\s*(.+)$/m);
      if (!pointer) return null;
      gitDir = pointer[1]!.trim();
    }
    const head = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
    if (/^[0-9a-f]{40}$/.test(head)) return head;
    const ref = head.match(/^ref:\s*(.+)$/)?.[1];
    if (!ref) return null;
    const loose = join(gitDir, ref);
    if (existsSync(loose)) return readFileSync(loose, "utf8").trim();
    const commonDir = existsSync(join(gitDir, "commondir")) ? join(gitDir, readFileSync(join(gitDir, "commondir"), "utf8").trim()) : gitDir;
    if (existsSync(join(commonDir, ref))) return readFileSync(join(commonDir, ref), "utf8").trim();
    const packed = join(commonDir, "packed-refs");
    if (!existsSync(packed)) return null;
    for (const line of readFileSync(packed, "utf8").split("\n")) {
      const [sha, name] = line.split(" ");
      if (name === ref && sha && /^[0-9a-f]{40}$/.test(sha)) return sha;
    }
    return null;
  } catch {
    return null;
  }
}

/** Clock ticks per second for /proc CPU times (Linux), or null when it cannot be read. */
export function clockTicks(): number | null {
  if (platform() !== "linux") return null;
  try {
    const value = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return Number.isInteger(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

export function machine() {
  const list = cpus();
  return {
    node: process.version,
    os: `${platform()} ${release()} (${arch()})`,
    cpu: list[0]?.model?.trim() || "unknown",
    cores: list.length,
    memoryMB: Math.round(totalmem() / 1048576),
    commit: currentCommit(),
  };
}
