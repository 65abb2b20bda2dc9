/** Settings from the environment, checked before anything listens. */

export const DEFAULT_PORT = 8080;
export const DEFAULT_VERSION = "dev";
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export const DEFAULT_LOG_LEVEL: LogLevel = "info";
export const DEFAULT_FLAGS_REFRESH_SECONDS = 30;
export const MAX_FLAGS_REFRESH_SECONDS = 3600;

export type LogLevel = (typeof LOG_LEVELS)[number];

/** Bad input from the environment: the entry point prints the message and exits 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface Config {
  readonly port: number;
  readonly version: string;
  readonly logLevel: LogLevel;
  /** The AppConfig agent's URL of this environment's flags profile; undefined: no flags, all off. */
  readonly flagsUrl: string | undefined;
  readonly flagsRefreshSeconds: number;
}

export type Env = Readonly<Record<string, string | undefined>>;

// JSON.stringify keeps a message on one line whatever the variable holds
const quoted = (raw: string): string => JSON.stringify(raw);

/** An integer lo..hi written in plain decimal digits; unset or empty means `fallback`. */
function parseInteger(
  name: string,
  raw: string | undefined,
  lo: number,
  hi: number,
  fallback: number,
): number {
  if (raw === undefined || raw === "") return fallback;
  const value = /^[0-9]{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= lo && value <= hi)) {
    throw new ConfigError(`${name} must be an integer from ${lo} to ${hi}, got ${quoted(raw)}`);
  }
  return value;
}

/** PORT as a TCP port 1..65535; unset or empty means 8080 (like the shell's ${PORT:-8080}). */
export function parsePort(raw: string | undefined): number {
  return parseInteger("PORT", raw, 1, 65535, DEFAULT_PORT);
}

/** LOG_LEVEL: debug, info, warn or error (exactly, lower case); unset or empty means info. */
export function parseLogLevel(raw: string | undefined): LogLevel {
  if (raw === undefined || raw === "") return DEFAULT_LOG_LEVEL;
  const level = LOG_LEVELS.find((l) => l === raw);
  if (level === undefined) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(", ")}, got ${quoted(raw)}`);
  }
  return level;
}

/** FLAGS_URL: an absolute http(s) URL; unset or empty means no flags. */
export function parseFlagsUrl(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === "") return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new ConfigError(`FLAGS_URL must be an http or https URL, got ${quoted(raw)}`);
  }
  return url.href;
}

/** FLAGS_REFRESH_SECONDS: 1..3600; unset or empty means 30 (the AppConfig agent's own default is 45). */
export function parseRefreshSeconds(raw: string | undefined): number {
  return parseInteger(
    "FLAGS_REFRESH_SECONDS",
    raw,
    1,
    MAX_FLAGS_REFRESH_SECONDS,
    DEFAULT_FLAGS_REFRESH_SECONDS,
  );
}

export function loadConfig(env: Env): Config {
  return {
    port: parsePort(env.PORT),
    version: env.APP_VERSION || DEFAULT_VERSION,
    logLevel: parseLogLevel(env.LOG_LEVEL),
    flagsUrl: parseFlagsUrl(env.FLAGS_URL),
    flagsRefreshSeconds: parseRefreshSeconds(env.FLAGS_REFRESH_SECONDS),
  };
}
