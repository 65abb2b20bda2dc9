/** Settings from the environment, checked before anything listens. */

export const DEFAULT_PORT = 8080;
export const DEFAULT_VERSION = "dev";

/** Bad input from the environment: the entry point prints the message and exits 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface Config {
  readonly port: number;
  readonly version: string;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** PORT as a TCP port 1..65535; unset or empty means 8080 (like the shell's ${PORT:-8080}). */
export function parsePort(raw: string | undefined): number {
  if (raw === undefined || raw === "") return DEFAULT_PORT;
  const port = /^[0-9]{1,5}$/.test(raw) ? Number(raw) : NaN;
  if (!(port >= 1 && port <= 65535)) {
    // JSON.stringify keeps the message on one line whatever the variable holds
    throw new ConfigError(`PORT must be an integer from 1 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

export function loadConfig(env: Env): Config {
  return { port: parsePort(env.PORT), version: env.APP_VERSION || DEFAULT_VERSION };
}
