/**
 * Feature flags from the AWS AppConfig agent (or the project's local stand-in for it).
 *
 * The agent answers GET <FLAGS_URL> with the evaluated feature-flag profile,
 * `{"<flag>": {"enabled": true, "<attribute>": ...}, ...}`. A FlagStore fetches it at start and
 * then every FLAGS_REFRESH_SECONDS; a failed refresh keeps the last good flags (none: all off).
 */

import { errorMessage } from "./host.js";
import type { Logger } from "./log.js";

export interface Flag {
  readonly enabled: boolean;
  readonly [attribute: string]: unknown;
}

export type Flags = Readonly<Record<string, Flag>>;

/** What the app reads: the flags as they are now. */
export interface FlagSource {
  current(): Flags;
}

export const NO_FLAGS: FlagSource = { current: () => ({}) };

/** True when `name` is known and enabled; an unknown flag is off. */
export function isEnabled(flags: Flags, name: string): boolean {
  return Object.hasOwn(flags, name) && flags[name]?.enabled === true;
}

export class FlagsError extends Error {
  override name = "FlagsError";
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The agent's evaluated form, checked: an object of objects that each have a boolean `enabled`. */
export function parseFlags(value: unknown): Flags {
  if (!isObject(value)) throw new FlagsError("expected a JSON object of flags");
  const entries = Object.entries(value).map(([name, flag]) => {
    if (!isObject(flag) || typeof flag.enabled !== "boolean") {
      throw new FlagsError(`flag ${JSON.stringify(name)} has no boolean "enabled"`);
    }
    return [name, flag as Flag] as const;
  });
  // fromEntries defines own properties: a flag named "__proto__" stays a flag
  return Object.fromEntries(entries);
}

/** The part of the global fetch the store uses; tests pass their own. */
export type Fetch = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<{ readonly ok: boolean; readonly status: number; text(): Promise<string> }>;

/** Timers, injectable so tests step through refreshes without waiting. */
export interface Scheduler {
  /** Calls `fn` once after `ms`; the returned function cancels the call. */
  after(ms: number, fn: () => void): () => void;
}

export const realScheduler: Scheduler = {
  after(ms, fn) {
    // unref: a pending refresh never keeps the process alive on its own
    const timer = setTimeout(fn, ms).unref();
    return () => clearTimeout(timer);
  },
};

export const FETCH_TIMEOUT_MS = 5_000;

export interface FlagStoreOptions {
  readonly url: string;
  readonly refreshMs: number;
  readonly log: Logger;
  readonly fetch?: Fetch;
  readonly scheduler?: Scheduler;
  readonly timeoutMs?: number;
}

/** The message of a failed fetch, with its cause ("fetch failed: connect ECONNREFUSED ..."). */
function describe(err: unknown): string {
  const cause =
    err instanceof Error && err.cause !== undefined ? `: ${errorMessage(err.cause)}` : "";
  return `${errorMessage(err)}${cause}`;
}

export class FlagStore implements FlagSource {
  private flags: Flags = {};
  private cancelTimer: (() => void) | undefined;
  private readonly stopping = new AbortController();
  private readonly fetch: Fetch;
  private readonly scheduler: Scheduler;
  private readonly timeoutMs: number;

  constructor(private readonly options: FlagStoreOptions) {
    this.fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.scheduler = options.scheduler ?? realScheduler;
    this.timeoutMs = options.timeoutMs ?? FETCH_TIMEOUT_MS;
  }

  current(): Flags {
    return this.flags;
  }

  /**
   * Fetches now, then `refreshMs` after each fetch ends (a slow agent never stacks requests).
   * Resolves after the first fetch; callers need not wait for it, it never rejects.
   */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  /** Stops refreshing and aborts a fetch under way; the flags stay as they are. */
  stop(): void {
    this.stopping.abort();
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** One fetch: true when it brought valid flags, false (flags kept, one log line) when not. */
  async refresh(): Promise<boolean> {
    if (this.stopping.signal.aborted) return false;
    const timeout = AbortSignal.timeout(this.timeoutMs);
    try {
      const res = await this.fetch(this.options.url, {
        signal: AbortSignal.any([this.stopping.signal, timeout]),
        headers: { accept: "application/json" },
      });
      const body = await res.text();
      if (!res.ok) throw new FlagsError(`HTTP ${res.status}`);
      this.update(parseFlags(JSON.parse(body)));
      return true;
    } catch (err) {
      if (this.stopping.signal.aborted) return false; // shutting down: not a failure
      this.options.log.warn("flags refresh failed, keeping the last good flags", {
        url: this.options.url,
        error: timeout.aborted ? `no answer within ${this.timeoutMs} ms` : describe(err),
        flags: Object.keys(this.flags).length,
      });
      return false;
    }
  }

  private update(flags: Flags): void {
    const changed = JSON.stringify(flags) !== JSON.stringify(this.flags);
    this.flags = flags;
    const enabled = Object.keys(flags).filter((name) => isEnabled(flags, name));
    if (changed) this.options.log.info("flags updated", { url: this.options.url, enabled });
    else this.options.log.debug("flags unchanged", { url: this.options.url });
  }

  private schedule(): void {
    if (this.stopping.signal.aborted) return;
    this.cancelTimer = this.scheduler.after(this.options.refreshMs, () => {
      void this.start();
    });
  }
}
