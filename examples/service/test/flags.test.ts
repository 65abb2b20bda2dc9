import { afterEach, describe, expect, it } from "vitest";

import {
  FETCH_TIMEOUT_MS,
  FlagStore,
  FlagsError,
  isEnabled,
  NO_FLAGS,
  parseFlags,
  realScheduler,
  type Fetch,
} from "../src/flags.js";
import { freePort } from "./support/http.js";
import {
  ManualScheduler,
  memoryLogger,
  ok,
  scriptedFetch,
  settled,
  startAgent,
  type FakeAgent,
} from "./support/flags.js";

const URL_ = "http://127.0.0.1:2772/applications/app/environments/dev/configurations/flags";
const ON = { banner: { enabled: true, message: "down at 2" }, beta: { enabled: false } };
const OFF = { banner: { enabled: false } };

function store(fetch: Fetch, refreshMs = 30_000) {
  const scheduler = new ManualScheduler();
  const log = memoryLogger();
  const flags = new FlagStore({ url: URL_, refreshMs, log, fetch, scheduler });
  return { flags, scheduler, log };
}

describe("parseFlags", () => {
  it("accepts the agent's evaluated form, attributes included", () => {
    const value = { a: { enabled: true, n: 3, s: "x", o: { deep: [1] } }, b: { enabled: false } };
    expect(parseFlags(value)).toEqual(value);
    expect(parseFlags({})).toEqual({});
  });

  it.each([null, [], "flags", 3, true])("refuses %j: not an object", (value) => {
    expect(() => parseFlags(value)).toThrow(new FlagsError("expected a JSON object of flags"));
  });

  it.each([
    [{ a: true }, "a"],
    [{ a: {} }, "a"],
    [{ ok: { enabled: true }, "b\n": { enabled: "true" } }, "b\n"],
    [{ a: [{ enabled: true }] }, "a"],
    [{ a: null }, "a"],
  ])("refuses %j: a flag without a boolean enabled", (value, name) => {
    expect(() => parseFlags(value)).toThrow(
      `flag ${JSON.stringify(name)} has no boolean "enabled"`,
    );
  });

  it("keeps a flag named __proto__ as a flag", () => {
    const flags = parseFlags(JSON.parse('{"__proto__": {"enabled": true}}'));
    expect(Object.keys(flags)).toEqual(["__proto__"]);
    expect(isEnabled(flags, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(flags)).toBe(Object.prototype);
  });
});

describe("isEnabled", () => {
  it("is true only for a known flag whose enabled is true", () => {
    const flags = parseFlags(ON);
    expect(isEnabled(flags, "banner")).toBe(true);
    expect(isEnabled(flags, "beta")).toBe(false);
    expect(isEnabled(flags, "missing")).toBe(false);
    expect(isEnabled(flags, "toString")).toBe(false);
    expect(isEnabled(NO_FLAGS.current(), "banner")).toBe(false);
  });
});

describe("FlagStore with a scripted agent", () => {
  it("has no flags before the first fetch, then the agent's", async () => {
    const fetch = scriptedFetch([ok(ON)]);
    const { flags, log } = store(fetch);
    expect(flags.current()).toEqual({});
    const first = flags.start();
    expect(flags.current()).toEqual({}); // start does not block: nothing yet
    await first;
    expect(flags.current()).toEqual(ON);
    expect(fetch.calls).toHaveLength(1);
    expect(fetch.calls[0]?.url).toBe(URL_);
    expect(fetch.calls[0]?.headers).toEqual({ accept: "application/json" });
    expect(log.lines).toEqual([
      { level: "info", msg: "flags updated", fields: { url: URL_, enabled: ["banner"] } },
    ]);
  });

  it("refreshes every refreshMs after the previous fetch ended", async () => {
    const fetch = scriptedFetch([ok(ON), ok(OFF), ok(OFF)]);
    const { flags, scheduler, log } = store(fetch, 7_000);
    await flags.start();
    expect(scheduler.waiting).toEqual([7_000]);
    await scheduler.fire();
    expect(flags.current()).toEqual(OFF);
    expect(scheduler.waiting).toEqual([7_000]);
    await scheduler.fire();
    expect(fetch.calls).toHaveLength(3);
    expect(log.lines.map((l) => [l.level, l.msg])).toEqual([
      ["info", "flags updated"],
      ["info", "flags updated"],
      ["debug", "flags unchanged"],
    ]);
  });

  it.each([
    ["an HTTP error", { status: 500, body: "{}" }, "HTTP 500"],
    ["a 404", { status: 404, body: '{"error":"not found"}' }, "HTTP 404"],
    ["a body that is not JSON", { status: 200, body: "<html>" }, "is not valid JSON"],
    ["flags without enabled", { status: 200, body: '{"a":{}}' }, 'flag "a" has no boolean'],
    [
      "a refused connection",
      Object.assign(new TypeError("fetch failed"), { cause: new Error("connect ECONNREFUSED") }),
      "fetch failed: connect ECONNREFUSED",
    ],
  ])("keeps the last good flags on %s, with one warning", async (_what, answer, error) => {
    const fetch = scriptedFetch([ok(ON), answer, ok(OFF)]);
    const { flags, scheduler, log } = store(fetch);
    await flags.start();
    await scheduler.fire();
    expect(flags.current()).toEqual(ON);
    const warnings = log.lines.filter((l) => l.level === "warn");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.msg).toBe("flags refresh failed, keeping the last good flags");
    expect(warnings[0]?.fields).toMatchObject({ url: URL_, flags: 2 });
    expect(String(warnings[0]?.fields.error)).toContain(error);
    // and it keeps refreshing: the next good answer is taken
    await scheduler.fire();
    expect(flags.current()).toEqual(OFF);
  });

  it("stays with all flags off while the agent never answered well", async () => {
    const fetch = scriptedFetch([new Error("boom")]);
    const { flags, scheduler, log } = store(fetch);
    await flags.start();
    await scheduler.fire();
    expect(flags.current()).toEqual({});
    expect(log.lines.map((l) => [l.level, l.fields.error, l.fields.flags])).toEqual([
      ["warn", "boom", 0],
      ["warn", "boom", 0],
    ]);
  });

  it("stop cancels the next refresh and aborts the one under way, quietly", async () => {
    let signal: AbortSignal | undefined;
    const hanging: Fetch = (_url, init) => {
      signal = init.signal;
      return new Promise((_resolve, reject) =>
        init.signal.addEventListener("abort", () => reject(new Error("aborted"))),
      );
    };
    const { flags, scheduler, log } = store(hanging);
    const first = flags.start();
    await settled();
    flags.stop();
    await first;
    expect(signal?.aborted).toBe(true);
    expect(scheduler.waiting).toEqual([]);
    expect(log.lines).toEqual([]);
    expect(await flags.refresh()).toBe(false); // stopped for good
  });

  it("stop cancels a pending timer", async () => {
    const { flags, scheduler } = store(scriptedFetch([ok(ON)]));
    await flags.start();
    expect(scheduler.waiting).toHaveLength(1);
    flags.stop();
    expect(scheduler.waiting).toEqual([]);
    expect(flags.current()).toEqual(ON);
  });

  it("a timer that fires after stop does nothing", async () => {
    const fetch = scriptedFetch([ok(ON)]);
    const { flags, scheduler } = store(fetch);
    await flags.start();
    const timer = scheduler.pending[0];
    flags.stop();
    timer?.fn(); // as if the clock fired in the same tick as stop
    await settled();
    expect(fetch.calls).toHaveLength(1);
    expect(scheduler.waiting).toEqual([]);
  });

  it("gives a fetch 5 s by default", () => {
    expect(FETCH_TIMEOUT_MS).toBe(5_000);
  });
});

describe("FlagStore against a real HTTP agent", () => {
  let agent: FakeAgent | undefined;

  afterEach(async () => {
    await agent?.close();
    agent = undefined;
  });

  it("reads the flags with the global fetch, and follows changes", async () => {
    agent = await startAgent(ok(ON));
    const scheduler = new ManualScheduler();
    const flags = new FlagStore({
      url: agent.url(),
      refreshMs: 1_000,
      log: memoryLogger(),
      scheduler,
    });
    await flags.start();
    expect(flags.current()).toEqual(ON);
    agent.answer = ok(OFF);
    expect(await flags.refresh()).toBe(true);
    expect(flags.current()).toEqual(OFF);
    expect(agent.requests).toEqual([
      "GET /applications/app/environments/dev/configurations/flags",
      "GET /applications/app/environments/dev/configurations/flags",
    ]);
    flags.stop();
  });

  it("times out on an agent that does not answer", async () => {
    agent = await startAgent("hang");
    const log = memoryLogger();
    const flags = new FlagStore({ url: agent.url(), refreshMs: 1_000, log, timeoutMs: 100 });
    const started = performance.now();
    expect(await flags.refresh()).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(log.lines[0]?.fields.error).toBe("no answer within 100 ms");
  });

  it("reports a connection the agent drops", async () => {
    agent = await startAgent(new Error("drop"));
    const log = memoryLogger();
    const flags = new FlagStore({ url: agent.url(), refreshMs: 1_000, log });
    expect(await flags.refresh()).toBe(false);
    expect(log.lines[0]?.fields.error).toMatch(/^fetch failed: /);
  });

  it("reports a refused connection", async () => {
    const log = memoryLogger();
    const url = `http://127.0.0.1:${await freePort()}/x`;
    const flags = new FlagStore({ url, refreshMs: 1_000, log });
    expect(await flags.refresh()).toBe(false);
    expect(log.lines[0]?.fields.error).toMatch(/^fetch failed: .*ECONNREFUSED/);
  });

  it("refreshes on real timers too", async () => {
    agent = await startAgent(ok(ON));
    const flags = new FlagStore({ url: agent.url(), refreshMs: 20, log: memoryLogger() });
    await flags.start();
    agent.answer = ok(OFF);
    await expect.poll(() => flags.current(), { timeout: 2_000, interval: 10 }).toEqual(OFF);
    flags.stop();
  });
});

describe("realScheduler", () => {
  it("calls back after the delay unless cancelled", async () => {
    const calls: string[] = [];
    realScheduler.after(5, () => calls.push("kept"));
    const cancel = realScheduler.after(5, () => calls.push("cancelled"));
    cancel();
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(calls).toEqual(["kept"]);
  });
});
