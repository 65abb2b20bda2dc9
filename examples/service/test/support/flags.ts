/** Test doubles for the flag store's seams: timers stepped by hand, an agent in memory or on HTTP. */

import { createServer } from "node:http";

import type { Fetch, Scheduler } from "../../src/flags.js";
import type { Logger } from "../../src/log.js";
import { listening, type Running } from "./http.js";

/** Timers that fire only when the test says so. */
export class ManualScheduler implements Scheduler {
  readonly pending: { ms: number; fn: () => void; cancelled: boolean }[] = [];

  after(ms: number, fn: () => void): () => void {
    const timer = { ms, fn, cancelled: false };
    this.pending.push(timer);
    return () => (timer.cancelled = true);
  }

  /** The live (not cancelled) timers' delays. */
  get waiting(): number[] {
    return this.pending.filter((t) => !t.cancelled).map((t) => t.ms);
  }

  /** Fires the oldest live timer and lets the refresh it starts finish. */
  async fire(): Promise<void> {
    const timer = this.pending.find((t) => !t.cancelled);
    if (timer === undefined) throw new Error("no timer pending");
    this.pending.splice(this.pending.indexOf(timer), 1);
    timer.fn();
    await settled();
  }
}

/** Lets every promise already resolved run its continuations (the fakes never wait on I/O). */
export function settled(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export type Answer = { readonly status: number; readonly body: string } | Error;

export const ok = (value: unknown): Answer => ({ status: 200, body: JSON.stringify(value) });

/** A fetch that answers from a script, one answer per call (the last one repeats). */
export function scriptedFetch(answers: Answer[]): Fetch & {
  calls: { url: string; headers: Record<string, string>; signal: AbortSignal }[];
} {
  const calls: { url: string; headers: Record<string, string>; signal: AbortSignal }[] = [];
  const fake = (url: string, init: { signal: AbortSignal; headers: Record<string, string> }) => {
    calls.push({ url, ...init });
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    if (answer === undefined) throw new Error("scriptedFetch: no answers");
    if (answer instanceof Error) return Promise.reject(answer);
    return Promise.resolve({
      ok: answer.status >= 200 && answer.status < 300,
      status: answer.status,
      text: () => Promise.resolve(answer.body),
    });
  };
  return Object.assign(fake, { calls });
}

export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** A logger that keeps what it is given. */
export function memoryLogger(): Logger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (msg: string, fields: Readonly<Record<string, unknown>> = {}) =>
      void lines.push({ level, msg, fields });
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

/** A stand-in for the AppConfig agent on 127.0.0.1: answers every GET with `answer` (or hangs). */
export interface FakeAgent extends Running {
  answer: Answer | "hang";
  readonly requests: string[];
  url(path?: string): string;
}

export const FLAGS_PATH = "/applications/app/environments/dev/configurations/flags";

export async function startAgent(answer: Answer | "hang"): Promise<FakeAgent> {
  const requests: string[] = [];
  const state = { answer };
  const server = createServer((req, res) => {
    requests.push(`${req.method ?? ""} ${req.url ?? ""}`);
    const now = state.answer;
    if (now === "hang") return;
    if (now instanceof Error) {
      req.socket.destroy(); // the connection dies: fetch fails
      return;
    }
    res.writeHead(now.status, { "content-type": "application/json" }).end(now.body);
  });
  const running = await listening(server);
  return {
    ...running,
    requests,
    url: (path = FLAGS_PATH) => running.url(path),
    get answer() {
      return state.answer;
    },
    set answer(value) {
      state.answer = value;
    },
  };
}
