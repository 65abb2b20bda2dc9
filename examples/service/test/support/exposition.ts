/** A small, strict parser for the Prometheus text format: tests read /metrics back with it. */

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Exposition {
  readonly help: ReadonlyMap<string, string>;
  readonly types: ReadonlyMap<string, string>;
  readonly samples: readonly Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function unescape(text: string, allowed: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    if (c !== "\\") {
      out += c;
      continue;
    }
    const next = text.charAt(++i);
    if (!allowed.includes(next)) throw new Error(`bad escape \\${next} in ${JSON.stringify(text)}`);
    out += next === "n" ? "\n" : next;
  }
  return out;
}

function parseValue(text: string): number {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  if (!/^-?[0-9]+(\.[0-9]+)?(e[+-]?[0-9]+)?$/.test(text)) throw new Error(`bad value ${text}`);
  return Number(text);
}

/** Label set "{a="x",b="y"}" at the start of `text`; returns the labels and what follows. */
function parseLabels(text: string): [Record<string, string>, string] {
  const labels: Record<string, string> = {};
  let rest = text.slice(1);
  while (!rest.startsWith("}")) {
    const name = LABEL.exec(rest)?.[0];
    if (name === undefined || !rest.startsWith(`${name}="`, 0))
      throw new Error(`bad label at ${rest}`);
    if (name in labels) throw new Error(`duplicate label ${name}`);
    rest = rest.slice(name.length + 2);
    let end = 0;
    while (rest.charAt(end) !== '"') {
      if (end >= rest.length) throw new Error("unterminated label value");
      end += rest.charAt(end) === "\\" ? 2 : 1;
    }
    labels[name] = unescape(rest.slice(0, end), '\\"n');
    rest = rest.slice(end + 1);
    if (rest.startsWith(",")) rest = rest.slice(1);
    else if (!rest.startsWith("}")) throw new Error(`expected , or } at ${rest}`);
  }
  return [labels, rest.slice(1)];
}

export function parseExposition(text: string): Exposition {
  if (text !== "" && !text.endsWith("\n")) throw new Error("exposition must end with a line feed");
  const help = new Map<string, string>();
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of text.split("\n").slice(0, -1)) {
    // dotAll: HELP text may hold a raw carriage return (only line feeds end a line)
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/s.exec(line);
    if (meta !== null) {
      const [, kind, name = "", rest = ""] = meta;
      if (kind === "HELP") help.set(name, unescape(rest, "\\n"));
      else types.set(name, rest);
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw new Error(`bad line ${JSON.stringify(line)}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) [labels, rest] = parseLabels(rest);
    if (!rest.startsWith(" ")) throw new Error(`expected a space before the value in ${line}`);
    samples.push({ name, labels, value: parseValue(rest.slice(1)) });
  }
  return { help, types, samples };
}

/** Sum of the samples named `name` whose labels include `match`. */
export function total(
  exposition: Exposition,
  name: string,
  match: Readonly<Record<string, string>> = {},
): number {
  return exposition.samples
    .filter((s) => s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}
