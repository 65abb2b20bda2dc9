/**
 * Entry point (`node dist/server.js`): APP_VERSION (default "dev"), PORT (default 8080), listens on
 * 0.0.0.0, drains and exits 0 on SIGTERM/SIGINT. A bad PORT is one line on stderr and exit 2.
 */

import type { Server } from "node:http";

import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { errorMessage, isEntryPoint, type Host } from "./host.js";

// ECS waits 30 s (stopTimeout) before SIGKILL; connections still open after this are cut
const DRAIN_MS = 10_000;

function listen(server: Server, port: number, address: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, address, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

function log(host: Host, fields: Record<string, unknown>): void {
  host.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

/** Starts the service; resolves to the listening server, or undefined after host.exit(non-zero). */
export async function main(host: Host = process, address = "0.0.0.0"): Promise<Server | undefined> {
  let config;
  try {
    config = loadConfig(host.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    host.stderr.write(`server: ${err.message}\n`);
    host.exit(2);
    return undefined;
  }
  const server = createApp({ version: config.version });
  try {
    await listen(server, config.port, address);
  } catch (err) {
    host.stderr.write(`server: cannot listen on ${address}:${config.port}: ${errorMessage(err)}\n`);
    host.exit(1);
    return undefined;
  }
  log(host, {
    level: "info",
    msg: "listening",
    address,
    port: config.port,
    version: config.version,
  });

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log(host, { level: "info", msg: "shutting down", signal });
    // a connection busy with a request is not idle: answer it with Connection: close so it ends
    server.prependListener("request", (_req, res) => res.setHeader("connection", "close"));
    server.close(() => host.exit(0));
    server.closeIdleConnections();
    setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
  };
  host.once("SIGTERM", () => stop("SIGTERM"));
  host.once("SIGINT", () => stop("SIGINT"));
  return server;
}

if (isEntryPoint(import.meta.url)) void main();
