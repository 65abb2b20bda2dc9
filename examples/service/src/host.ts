/** The seam between the entry points and the process, so tests can run them in-process. */

import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";

import type { Env } from "./config.js";

/** What an entry point uses of `process`; `process` itself satisfies it. */
export interface Host {
  readonly env: Env;
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  exit(code: number): void;
  once(signal: "SIGTERM" | "SIGINT", listener: () => void): unknown;
}

/** True when `moduleUrl` is the script node was started with, false when it is merely imported. */
export function isEntryPoint(
  moduleUrl: string,
  script: string | undefined = process.argv[1],
): boolean {
  if (script === undefined) return false;
  try {
    return pathToFileURL(realpathSync(script)).href === moduleUrl;
  } catch {
    return false;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
