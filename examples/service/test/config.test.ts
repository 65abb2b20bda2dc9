import { describe, expect, it } from "vitest";

import { ConfigError, loadConfig, parsePort } from "../src/config.js";

describe("parsePort", () => {
  it.each([
    [undefined, 8080],
    ["", 8080],
    ["1", 1],
    ["80", 80],
    ["08080", 8080],
    ["65535", 65535],
  ])("%j -> %i", (raw, port) => {
    expect(parsePort(raw)).toBe(port);
  });

  it.each([
    "0",
    "65536",
    "99999",
    "-1",
    "+80",
    " 80",
    "80 ",
    "8080abc",
    "1e3",
    "0x50",
    "80.0",
    "abc",
    "123456",
  ])("refuses %j with one line naming the value", (raw) => {
    const attempt = (): number => parsePort(raw);
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`PORT must be an integer from 1 to 65535, got ${JSON.stringify(raw)}`);
  });

  it("keeps the message on one line whatever the value holds", () => {
    expect(() => parsePort("80\nINJECTED")).toThrow(
      /^PORT must be an integer from 1 to 65535, got "80\\nINJECTED"$/,
    );
  });
});

describe("loadConfig", () => {
  it("defaults to port 8080 and version dev", () => {
    expect(loadConfig({})).toEqual({ port: 8080, version: "dev" });
  });

  it("reads PORT and APP_VERSION", () => {
    expect(loadConfig({ PORT: "9000", APP_VERSION: "1.4.0+abc123" })).toEqual({
      port: 9000,
      version: "1.4.0+abc123",
    });
  });

  it("treats an empty APP_VERSION as unset", () => {
    expect(loadConfig({ APP_VERSION: "" }).version).toBe("dev");
  });
});
