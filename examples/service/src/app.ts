/** The HTTP application: /health, /version, /flags and /metrics on a plain node:http server. */

import { createServer, type Server, type ServerResponse } from "node:http";

import { isEnabled, NO_FLAGS, type FlagSource, type Flags } from "./flags.js";
import { CONTENT_TYPE, Registry } from "./metrics.js";

export interface AppOptions {
  /** Reported by /version and as app_build_info{version="..."}. */
  readonly version: string;
  /** Read on every request, so a refresh takes effect at once; default: no flags, all off. */
  readonly flags?: FlagSource;
}

interface Reply {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
}

const JSON_TYPE = "application/json; charset=utf-8";
const ALLOW = "GET, HEAD";
// anything else is counted as "other": a label value never comes straight from the client
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
// behind an ALB (idle timeout 60 s) the server must not drop a kept-alive connection first
const KEEP_ALIVE_MS = 65_000;

/** The flag behind the one behaviour the flags change, and the header it adds. */
export const BANNER_FLAG = "maintenance_banner";
export const BANNER_HEADER = "maintenance-banner";
export const DEFAULT_BANNER = "maintenance";
// a header value node accepts and a proxy passes: printable ASCII, bounded
const BANNER_TEXT = /^[\x20-\x7e]{1,200}$/;

/**
 * The Maintenance-Banner header while flag maintenance_banner is enabled: its `message` attribute
 * when that is short printable ASCII, else "maintenance". Undefined while the flag is off.
 */
export function bannerOf(flags: Flags): string | undefined {
  if (!isEnabled(flags, BANNER_FLAG)) return undefined;
  const message = flags[BANNER_FLAG]?.message;
  return typeof message === "string" && BANNER_TEXT.test(message) ? message : DEFAULT_BANNER;
}

function json(status: number, value: unknown, headers?: Record<string, string>): Reply {
  const reply = { status, contentType: JSON_TYPE, body: JSON.stringify(value) };
  return headers === undefined ? reply : { ...reply, headers };
}

/** The path without query or fragment; "/health?x=1" is /health. */
export function pathOf(url: string | undefined): string {
  const raw = url ?? "/";
  const end = raw.search(/[?#]/);
  return end === -1 ? raw : raw.slice(0, end);
}

function send(res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    "content-type": reply.contentType,
    "content-length": Buffer.byteLength(reply.body),
    "cache-control": "no-store",
    ...reply.headers,
  });
  // for HEAD node sends the headers (same Content-Length as GET) and drops the body
  res.end(reply.body);
}

/** A server that is not listening yet: the caller picks the address (tests use 127.0.0.1:0). */
export function createApp(options: AppOptions): Server {
  const registry = new Registry();
  const requests = registry.counter({
    name: "http_requests_total",
    help: "HTTP requests answered, by method, route template and status code.",
    labelNames: ["method", "route", "status"],
  });
  const duration = registry.histogram({
    name: "http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method and route template.",
    labelNames: ["method", "route"],
  });
  registry.gauge({
    name: "process_uptime_seconds",
    help: "Seconds since the process started.",
    collect: (gauge) => gauge.set({}, process.uptime()),
  });
  registry
    .gauge({
      name: "app_build_info",
      help: "Always 1; the version label says which build is running.",
      labelNames: ["version"],
    })
    .set({ version: options.version }, 1);

  const flags = options.flags ?? NO_FLAGS;
  const routes = new Map<string, () => Reply>([
    ["/health", () => json(200, { status: "ok" })],
    ["/version", () => json(200, { version: options.version })],
    ["/flags", () => json(200, flags.current())],
    ["/metrics", () => ({ status: 200, contentType: CONTENT_TYPE, body: registry.render() })],
  ]);

  const server = createServer((req, res) => {
    const started = performance.now();
    const method = req.method ?? "GET";
    const path = pathOf(req.url);
    const handler = routes.get(path);
    // the route label is a template we own or "other": arbitrary paths cannot add series
    const route = handler === undefined ? "other" : path;
    let reply: Reply;
    if (handler === undefined) {
      reply = json(404, { error: "not found" });
    } else if (method !== "GET" && method !== "HEAD") {
      reply = json(405, { error: "method not allowed" }, { allow: ALLOW });
    } else {
      reply = handler();
    }
    const banner = bannerOf(flags.current());
    if (banner !== undefined)
      reply = { ...reply, headers: { ...reply.headers, [BANNER_HEADER]: banner } };
    // recorded before the write, so a scrape never counts itself and counts are exact afterwards
    const labels = { method: METHODS.has(method) ? method : "other", route };
    requests.inc({ ...labels, status: String(reply.status) });
    duration.observe(labels, (performance.now() - started) / 1000);
    send(res, reply);
  });
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1_000;
  return server;
}
