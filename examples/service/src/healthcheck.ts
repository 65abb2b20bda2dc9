/**
 * Container health check (`node dist/healthcheck.js`; slim images have no curl): GET /health on
 * 127.0.0.1:${PORT:-8080} within 2 s. Exit 0 on 200, else 1 with the reason on stderr.
 */

import { request } from "node:http";

import { parsePort } from "./config.js";
import { errorMessage, isEntryPoint, type Host } from "./host.js";

export const TIMEOUT_MS = 2_000;

export interface ProbeResult {
  readonly healthy: boolean;
  readonly detail: string;
}

/** One GET; healthy only on status 200 with the whole body read within `timeoutMs`. */
export function probe(url: string, timeoutMs = TIMEOUT_MS): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const failed = (err: unknown): void =>
      resolve({
        healthy: false,
        detail: signal.aborted ? `no answer within ${timeoutMs} ms` : errorMessage(err),
      });
    const req = request(url, { agent: false, signal }, (res) => {
      const status = res.statusCode ?? 0;
      res.on("error", failed);
      res.on("end", () => resolve({ healthy: status === 200, detail: `HTTP ${status}` }));
      res.resume();
    });
    req.on("error", failed);
    req.end();
  });
}

export async function main(host: Pick<Host, "env" | "stderr" | "exit"> = process): Promise<void> {
  let port: number;
  try {
    port = parsePort(host.env.PORT);
  } catch (err) {
    host.stderr.write(`healthcheck: ${errorMessage(err)}\n`);
    host.exit(1);
    return;
  }
  const url = `http://127.0.0.1:${port}/health`;
  const result = await probe(url);
  if (!result.healthy) host.stderr.write(`healthcheck: ${url}: ${result.detail}\n`);
  host.exit(result.healthy ? 0 : 1);
}

if (isEntryPoint(import.meta.url)) void main();
