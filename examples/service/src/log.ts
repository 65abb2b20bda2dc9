/** JSON log lines on stdout, one per event, filtered by LOG_LEVEL. */

import { LOG_LEVELS, type LogLevel } from "./config.js";

export type Fields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
}

export interface LoggerOptions {
  readonly out: { write(text: string): unknown };
  readonly level: LogLevel;
  /** The time stamped on each line; tests pass a fixed one. */
  readonly now?: () => Date;
}

export function createLogger({ out, level, now = () => new Date() }: LoggerOptions): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const at =
    (lvl: LogLevel) =>
    (msg: string, fields: Fields = {}): void => {
      if (LOG_LEVELS.indexOf(lvl) < threshold) return;
      // fields come from this code, never from a client, and do not reuse these three names
      out.write(`${JSON.stringify({ time: now().toISOString(), level: lvl, msg, ...fields })}\n`);
    };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
