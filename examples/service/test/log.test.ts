import { describe, expect, it } from "vitest";

import { LOG_LEVELS } from "../src/config.js";
import { createLogger } from "../src/log.js";

const AT = new Date("2025-01-02T03:04:05.678Z");

function capture(level: (typeof LOG_LEVELS)[number]) {
  let out = "";
  const log = createLogger({ out: { write: (t: string) => (out += t) }, level, now: () => AT });
  return { log, lines: () => out.split("\n").slice(0, -1) };
}

describe("createLogger", () => {
  it("writes one JSON line: time, level, msg, then the fields", () => {
    const { log, lines } = capture("info");
    log.info("listening", { port: 8080, text: 'a "quoted"\nline' });
    expect(lines()).toEqual([
      '{"time":"2025-01-02T03:04:05.678Z","level":"info","msg":"listening","port":8080,"text":"a \\"quoted\\"\\nline"}',
    ]);
  });

  it.each([
    ["debug", ["debug", "info", "warn", "error"]],
    ["info", ["info", "warn", "error"]],
    ["warn", ["warn", "error"]],
    ["error", ["error"]],
  ] as const)("at %s writes %j", (level, written) => {
    const { log, lines } = capture(level);
    for (const at of LOG_LEVELS) log[at](at);
    expect(lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(written);
  });

  it("stamps the current time by default", () => {
    let out = "";
    const log = createLogger({ out: { write: (t: string) => (out += t) }, level: "info" });
    const before = Date.now();
    log.warn("w");
    const { time } = JSON.parse(out) as { time: string };
    expect(Date.parse(time)).toBeGreaterThanOrEqual(before);
    expect(Date.parse(time)).toBeLessThanOrEqual(Date.now());
  });
});
