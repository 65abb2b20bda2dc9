/**
 * Entry point (`node dist/server.js`): APP_VERSION (default "dev"), PORT (default 8080), LOG_LEVEL
 * (default info), FLAGS_URL and FLAGS_REFRESH_SECONDS (default 30); listens on 0.0.0.0, drains and
 * exits 0 on SIGTERM/SIGINT. A bad setting is one line on stderr and exit 2.
 */

import type { Server } from "node:http";

import { createApp } from "./app.js";
import { ConfigError, loadConfig } from "./config.js";
import { FlagStore } from "./flags.js";
import { errorMessage, isEntryPoint, type Host } from "./host.js";
import { createLogger } from "./log.js";

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
  const log = createLogger({ out: host.stdout, level: config.logLevel });
  const flags =
    config.flagsUrl === undefined
      ? undefined
      : new FlagStore({ url: config.flagsUrl, refreshMs: config.flagsRefreshSeconds * 1000, log });
  const server = createApp(
    flags === undefined ? { version: config.version } : { version: config.version, flags },
  );
  try {
    await listen(server, config.port, address);
  } catch (err) {
    host.stderr.write(`server: cannot listen on ${address}:${config.port}: ${errorMessage(err)}\n`);
    host.exit(1);
    return undefined;
  }
  log.info("listening", {
    address,
    port: config.port,
    version: config.version,
    flags: config.flagsUrl ?? null,
  });
  // not awaited: the service answers at once, with all flags off until the first fetch lands
  void flags?.start();

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down", { signal });
    flags?.stop();
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
