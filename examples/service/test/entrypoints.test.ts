// server.ts and healthcheck.ts in-process: main() with a test host standing in for `process`.
// dist.test.ts runs the same entry points compiled, as separate processes with real signals.
import { EventEmitter } from "node:events";
import { createServer as createHttpServer, type Server } from "node:http";
import { connect, createServer } from "node:net";
import { fileURLToPath } from "node:url";

import { afterEach, describe, expect, it } from "vitest";

import type { Env } from "../src/config.js";
import { main as healthcheck, probe, TIMEOUT_MS } from "../src/healthcheck.js";
import { isEntryPoint, type Host } from "../src/host.js";
import { main } from "../src/server.js";
import { ok, startAgent, type FakeAgent } from "./support/flags.js";
import { freePort, listening, startApp, stop, type Running } from "./support/http.js";

/** The process as main sees it: env in, output and exit code captured, signals sent by the test. */
class TestHost implements Host {
  stdout = { write: (text: string): void => void (this.out += text) };
  stderr = { write: (text: string): void => void (this.err += text) };
  out = "";
  err = "";
  readonly exited: Promise<number>;
  private resolveExit: (code: number) => void = () => undefined;
  private readonly signals = new EventEmitter();

  constructor(readonly env: Env) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
  }

  exit(code: number): void {
    this.resolveExit(code);
  }

  once(signal: "SIGTERM" | "SIGINT", listener: () => void): this {
    this.signals.once(signal, listener);
    return this;
  }

  send(signal: "SIGTERM" | "SIGINT"): void {
    this.signals.emit(signal);
  }
}

const servers: Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => (s.listening ? stop(s) : Promise.resolve())));
});

async function started(env: Env): Promise<{ host: TestHost; server: Server; base: string }> {
  const host = new TestHost(env);
  const server = await main(host, "127.0.0.1");
  if (server === undefined) throw new Error(`main did not start: ${host.err}`);
  servers.push(server);
  return { host, server, base: `http://127.0.0.1:${env.PORT ?? ""}` };
}

describe("server main", () => {
  it("listens on PORT, serves APP_VERSION and logs one JSON line", async () => {
    const port = await freePort();
    const { host, base } = await started({ PORT: String(port), APP_VERSION: "9.9.9" });
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: "ok" });
    expect(await (await fetch(`${base}/version`)).json()).toEqual({ version: "9.9.9" });
    const lines = host.out.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ msg: "listening", port, version: "9.9.9" });
    expect(host.err).toBe("");
  });

  it.each(["0", "65536", "http", "-5"])("PORT=%j: one line on stderr and exit 2", async (bad) => {
    const host = new TestHost({ PORT: bad });
    expect(await main(host, "127.0.0.1")).toBeUndefined();
    expect(await host.exited).toBe(2);
    expect(host.err).toBe(
      `server: PORT must be an integer from 1 to 65535, got ${JSON.stringify(bad)}\n`,
    );
    expect(host.out).toBe("");
  });

  it.each([
    [{ LOG_LEVEL: "verbose" }, 'LOG_LEVEL must be one of debug, info, warn, error, got "verbose"'],
    [
      { FLAGS_URL: "localhost:2772" },
      'FLAGS_URL must be an http or https URL, got "localhost:2772"',
    ],
    [
      { FLAGS_REFRESH_SECONDS: "0" },
      'FLAGS_REFRESH_SECONDS must be an integer from 1 to 3600, got "0"',
    ],
  ])("%j: one line on stderr and exit 2, nothing listens", async (env, message) => {
    const port = await freePort();
    const host = new TestHost({ PORT: String(port), ...env });
    expect(await main(host, "127.0.0.1")).toBeUndefined();
    expect(await host.exited).toBe(2);
    expect(host.err).toBe(`server: ${message}\n`);
    expect(host.out).toBe("");
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it("LOG_LEVEL=warn leaves out the info lines", async () => {
    const { host, base } = await started({ PORT: String(await freePort()), LOG_LEVEL: "warn" });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    host.send("SIGTERM");
    expect(await host.exited).toBe(0);
    expect(host.out).toBe("");
  });

  it("exits 1 with one line when the port is taken", async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const address = blocker.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const host = new TestHost({ PORT: String(port) });
      expect(await main(host, "127.0.0.1")).toBeUndefined();
      expect(await host.exited).toBe(1);
      expect(host.err).toMatch(
        new RegExp(`^server: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE.*\\n$`),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it.each(["SIGTERM", "SIGINT"] as const)("%s closes the server and exits 0", async (signal) => {
    const { host, server, base } = await started({ PORT: String(await freePort()) });
    const keptAlive = await fetch(`${base}/health`); // leaves an idle keep-alive connection
    await keptAlive.text();
    host.send(signal);
    expect(await host.exited).toBe(0);
    expect(server.listening).toBe(false);
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    expect(host.out).toContain(`"msg":"shutting down","signal":"${signal}"`);
  });

  it("shuts down once when both signals arrive", async () => {
    const { host } = await started({ PORT: String(await freePort()) });
    host.send("SIGTERM");
    host.send("SIGINT");
    expect(await host.exited).toBe(0);
    expect(host.out.match(/shutting down/g)).toHaveLength(1);
  });

  it("answers a request already under way, with Connection: close, then exits 0", async () => {
    const port = await freePort();
    const { host, server } = await started({ PORT: String(port) });
    const socket = connect(port, "127.0.0.1");
    socket.setEncoding("utf8");
    let answer = "";
    socket.on("data", (chunk: string) => (answer += chunk));
    const ended = new Promise((resolve) => socket.on("end", resolve));
    await new Promise((resolve) => socket.once("connect", resolve));
    // half a request: the connection is busy, so shutdown must wait for it instead of cutting it
    socket.write("GET /health HTTP/1.1\r\nHost: test\r\n");
    await new Promise((resolve) => setTimeout(resolve, 50));
    host.send("SIGTERM");
    expect(server.listening).toBe(false);
    socket.write("\r\n");
    await ended; // the server closes the connection after answering
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.toLowerCase()).toContain("connection: close\r\n");
    expect(answer.endsWith('{"status":"ok"}')).toBe(true);
    expect(await host.exited).toBe(0);
    socket.destroy();
  });
});

describe("server main with FLAGS_URL", () => {
  let agent: FakeAgent | undefined;

  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });

  it("serves the agent's flags on /flags and refreshes them", async () => {
    agent = await startAgent(ok({ maintenance_banner: { enabled: true, message: "soon" } }));
    const { host, base } = await started({
      PORT: String(await freePort()),
      FLAGS_URL: agent.url(),
      FLAGS_REFRESH_SECONDS: "1",
    });
    await expect
      .poll(async () => (await fetch(`${base}/flags`)).json(), { timeout: 5_000, interval: 20 })
      .toEqual({ maintenance_banner: { enabled: true, message: "soon" } });
    expect((await fetch(`${base}/health`)).headers.get("maintenance-banner")).toBe("soon");
    agent.answer = ok({ maintenance_banner: { enabled: false } });
    await expect
      .poll(async () => (await fetch(`${base}/health`)).headers.get("maintenance-banner"), {
        timeout: 5_000,
        interval: 50,
      })
      .toBeNull();
    const lines = host.out
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ msg: "listening", flags: agent.url() });
    expect(lines.filter((l) => l.msg === "flags updated").map((l) => l.enabled)).toEqual([
      ["maintenance_banner"],
      [],
    ]);

    host.send("SIGTERM");
    expect(await host.exited).toBe(0);
    const asked = agent.requests.length;
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    expect(agent.requests).toHaveLength(asked); // stopped refreshing with the server
  });

  it("starts with all flags off when the agent is down, and says so once per refresh", async () => {
    const flagsUrl = `http://127.0.0.1:${await freePort()}/applications/a/environments/e/configurations/f`;
    const { host, base } = await started({ PORT: String(await freePort()), FLAGS_URL: flagsUrl });
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/flags`)).json()).toEqual({});
    await expect
      .poll(() => host.out, { timeout: 5_000, interval: 20 })
      .toContain("flags refresh failed");
    const warnings = host.out.split("\n").filter((l) => l.includes('"level":"warn"'));
    expect(warnings).toHaveLength(1); // the next refresh is 30 s away
    expect(JSON.parse(warnings[0] ?? "")).toMatchObject({ url: flagsUrl, flags: 0 });
    expect(host.err).toBe("");
  });
});

describe("isEntryPoint", () => {
  it("is true for the script node was started with", () => {
    expect(isEntryPoint(import.meta.url, fileURLToPath(import.meta.url))).toBe(true);
  });

  it("is false when imported from another script", () => {
    expect(isEntryPoint(import.meta.url)).toBe(false);
    expect(isEntryPoint(import.meta.url, undefined)).toBe(false);
  });

  it("is false for a script that does not exist", () => {
    expect(isEntryPoint(import.meta.url, "/no/such/script.js")).toBe(false);
  });
});

let running: Running | undefined;

afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** A server whose /health answers `status` (or never answers when status is 0). */
async function serving(status: number): Promise<Running> {
  const server: Server = createHttpServer((_req, res) => {
    if (status === 0) return; // hang: accept the request, never answer
    res.writeHead(status).end("x");
  });
  running = await listening(server);
  return running;
}

async function runMain(env: Env): Promise<{ code: number; err: string }> {
  let code = -1;
  let err = "";
  await healthcheck({
    env,
    stderr: { write: (text: string) => (err += text) },
    exit: (c) => (code = c),
  });
  return { code, err };
}

describe("probe", () => {
  it("is healthy when the service's /health answers 200", async () => {
    running = await startApp({ version: "x" });
    expect(await probe(running.url("/health"))).toEqual({ healthy: true, detail: "HTTP 200" });
  });

  it.each([204, 301, 404, 500, 503])("is unhealthy on HTTP %i", async (status) => {
    const server = await serving(status);
    expect(await probe(server.url("/health"))).toEqual({
      healthy: false,
      detail: `HTTP ${status}`,
    });
  });

  it("is unhealthy when nothing listens", async () => {
    const result = await probe(`http://127.0.0.1:${await freePort()}/health`);
    expect(result.healthy).toBe(false);
    expect(result.detail).toMatch(/ECONNREFUSED/);
  });

  it("gives up after the timeout", async () => {
    const server = await serving(0);
    const started = performance.now();
    expect(await probe(server.url("/health"), 200)).toEqual({
      healthy: false,
      detail: "no answer within 200 ms",
    });
    expect(performance.now() - started).toBeLessThan(1_500);
  });

  it("waits 2 s by default", () => {
    expect(TIMEOUT_MS).toBe(2_000);
  });
});

describe("healthcheck main", () => {
  it("exits 0 when the service on PORT is healthy", async () => {
    running = await startApp({ version: "x" });
    expect(await runMain({ PORT: String(running.port) })).toEqual({ code: 0, err: "" });
  });

  it("exits 1 with the reason when it is not", async () => {
    const server = await serving(503);
    expect(await runMain({ PORT: String(server.port) })).toEqual({
      code: 1,
      err: `healthcheck: http://127.0.0.1:${server.port}/health: HTTP 503\n`,
    });
  });

  it("exits 1 on a bad PORT (Docker reserves exit 2)", async () => {
    expect(await runMain({ PORT: "nope" })).toEqual({
      code: 1,
      err: 'healthcheck: PORT must be an integer from 1 to 65535, got "nope"\n',
    });
  });
});
