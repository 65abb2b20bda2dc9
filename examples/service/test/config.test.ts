import { describe, expect, it } from "vitest";

import {
  ConfigError,
  loadConfig,
  parseFlagsUrl,
  parseLogLevel,
  parsePort,
  parseRefreshSeconds,
} from "../src/config.js";

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

describe("parseLogLevel", () => {
  it.each([
    [undefined, "info"],
    ["", "info"],
    ["debug", "debug"],
    ["info", "info"],
    ["warn", "warn"],
    ["error", "error"],
  ])("%j -> %j", (raw, level) => {
    expect(parseLogLevel(raw)).toBe(level);
  });

  it.each(["INFO", "Debug", "warning", "trace", "fatal", " info", "info\n", "verbose"])(
    "refuses %j with one line naming the value",
    (raw) => {
      const attempt = (): string => parseLogLevel(raw);
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(
        new ConfigError(
          `LOG_LEVEL must be one of debug, info, warn, error, got ${JSON.stringify(raw)}`,
        ),
      );
    },
  );
});

describe("parseFlagsUrl", () => {
  const agent =
    "http://localhost:2772/applications/ngapp-dev/environments/dev/configurations/flags";

  it.each([
    [undefined, undefined],
    ["", undefined],
    [agent, agent],
    ["https://flags.example/x?y=1", "https://flags.example/x?y=1"],
    ["http://127.0.0.1:2772", "http://127.0.0.1:2772/"],
  ])("%j -> %j", (raw, url) => {
    expect(parseFlagsUrl(raw)).toBe(url);
  });

  it.each([
    "localhost:2772/x",
    "/applications/a",
    "ftp://host/x",
    "file:///etc/passwd",
    "http://",
    "not a url",
  ])("refuses %j", (raw) => {
    expect(() => parseFlagsUrl(raw)).toThrow(
      new ConfigError(`FLAGS_URL must be an http or https URL, got ${JSON.stringify(raw)}`),
    );
  });
});

describe("parseRefreshSeconds", () => {
  it.each([
    [undefined, 30],
    ["", 30],
    ["1", 1],
    ["45", 45],
    ["3600", 3600],
  ])("%j -> %i", (raw, seconds) => {
    expect(parseRefreshSeconds(raw)).toBe(seconds);
  });

  it.each(["0", "3601", "-1", "1.5", "30s", "1e2", "99999"])("refuses %j", (raw) => {
    expect(() => parseRefreshSeconds(raw)).toThrow(
      new ConfigError(
        `FLAGS_REFRESH_SECONDS must be an integer from 1 to 3600, got ${JSON.stringify(raw)}`,
      ),
    );
  });
});

describe("loadConfig", () => {
  it("defaults: port 8080, version dev, level info, no flags, refresh 30 s", () => {
    expect(loadConfig({})).toEqual({
      port: 8080,
      version: "dev",
      logLevel: "info",
      flagsUrl: undefined,
      flagsRefreshSeconds: 30,
    });
  });

  it("reads every variable", () => {
    expect(
      loadConfig({
        PORT: "9000",
        APP_VERSION: "1.4.0+abc123",
        LOG_LEVEL: "debug",
        FLAGS_URL: "http://localhost:2772/applications/a/environments/e/configurations/flags",
        FLAGS_REFRESH_SECONDS: "5",
      }),
    ).toEqual({
      port: 9000,
      version: "1.4.0+abc123",
      logLevel: "debug",
      flagsUrl: "http://localhost:2772/applications/a/environments/e/configurations/flags",
      flagsRefreshSeconds: 5,
    });
  });

  it.each([
    [{ LOG_LEVEL: "loud" }, /^LOG_LEVEL/],
    [{ FLAGS_URL: "x" }, /^FLAGS_URL/],
    [{ FLAGS_REFRESH_SECONDS: "0" }, /^FLAGS_REFRESH_SECONDS/],
  ])("refuses a bad %j", (env, message) => {
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("treats an empty APP_VERSION as unset", () => {
    expect(loadConfig({ APP_VERSION: "" }).version).toBe("dev");
  });
});
