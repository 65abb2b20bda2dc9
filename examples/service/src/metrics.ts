/**
 * A tiny Prometheus registry: counters, gauges and histograms in text exposition format 0.0.4.
 *
 * Output is deterministic: families sorted by name, series sorted by label values, so two scrapes of
 * the same state are byte-identical (and tests can compare them).
 */

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export type Labels = Readonly<Record<string, string>>;

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** The Prometheus client default buckets (seconds): 5 ms to 10 s. */
export const DEFAULT_BUCKETS: readonly number[] = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Label values escape backslash, double quote and line feed; nothing else. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** HELP text escapes backslash and line feed (a double quote stays as it is). */
export function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

/** Sample values as Prometheus parses them (Go ParseFloat plus +Inf/-Inf/NaN). */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

function renderLabels(pairs: readonly (readonly [string, string])[]): string {
  if (pairs.length === 0) return "";
  return `{${pairs.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}

// plain code-unit order: the same on every machine, unlike localeCompare
function compareValues(a: readonly string[], b: readonly string[]): number {
  const i = a.findIndex((value, k) => value !== b[k]);
  const x = a[i] ?? "";
  const y = b[i] ?? "";
  return x === y ? 0 : x < y ? -1 : 1;
}

export interface MetricOptions {
  readonly name: string;
  readonly help: string;
  readonly labelNames?: readonly string[];
}

interface Series<S> {
  readonly values: readonly string[];
  readonly state: S;
}

abstract class Metric<S> {
  abstract readonly type: "counter" | "gauge" | "histogram";
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  private readonly series = new Map<string, Series<S>>();

  constructor(options: MetricOptions, reserved: readonly string[] = []) {
    const labelNames = options.labelNames ?? [];
    if (!METRIC_NAME.test(options.name)) throw new Error(`invalid metric name ${options.name}`);
    for (const label of labelNames) {
      if (!LABEL_NAME.test(label) || label.startsWith("__") || reserved.includes(label)) {
        throw new Error(`${options.name}: invalid label name ${label}`);
      }
    }
    if (new Set(labelNames).size !== labelNames.length) {
      throw new Error(`${options.name}: duplicate label names`);
    }
    this.name = options.name;
    this.help = options.help;
    this.labelNames = labelNames;
  }

  protected abstract initial(): S;
  protected abstract samples(labels: readonly (readonly [string, string])[], state: S): string[];

  /** The state of one series; exactly the declared labels, no more and no fewer. */
  protected seriesFor(labels: Labels): S {
    const given = Object.keys(labels);
    const extra = given.filter((name) => !this.labelNames.includes(name));
    const missing = this.labelNames.filter((name) => !given.includes(name));
    if (extra.length > 0 || missing.length > 0) {
      throw new Error(
        `${this.name}: labels must be exactly [${this.labelNames.join(", ")}], got [${given.join(", ")}]`,
      );
    }
    const values = this.labelNames.map((name) => labels[name] ?? "");
    const key = JSON.stringify(values);
    let series = this.series.get(key);
    if (series === undefined) {
      series = { values, state: this.initial() };
      this.series.set(key, series);
    }
    return series.state;
  }

  render(): string[] {
    const lines = [
      `# HELP ${this.name} ${escapeHelp(this.help)}`,
      `# TYPE ${this.name} ${this.type}`,
    ];
    const ordered = [...this.series.values()].sort((a, b) => compareValues(a.values, b.values));
    for (const { values, state } of ordered) {
      const pairs = this.labelNames.map((name, i) => [name, values[i] ?? ""] as const);
      lines.push(...this.samples(pairs, state));
    }
    return lines;
  }
}

/** Counter and gauge: one number per series. */
abstract class ValueMetric extends Metric<{ value: number }> {
  constructor(options: MetricOptions) {
    super(options);
    // an unlabelled series exists (as 0) from the start, not only after its first update
    if (this.labelNames.length === 0) this.seriesFor({});
  }

  get(labels: Labels = {}): number {
    return this.seriesFor(labels).value;
  }

  protected initial(): { value: number } {
    return { value: 0 };
  }

  protected samples(
    labels: readonly (readonly [string, string])[],
    state: { value: number },
  ): string[] {
    return [`${this.name}${renderLabels(labels)} ${formatValue(state.value)}`];
  }
}

export class Counter extends ValueMetric {
  readonly type = "counter";

  inc(labels: Labels = {}, by = 1): void {
    if (!Number.isFinite(by) || by < 0) throw new Error(`${this.name}: a counter only goes up`);
    this.seriesFor(labels).value += by;
  }
}

export interface GaugeOptions extends MetricOptions {
  /** Called before every render: for values read at scrape time (uptime). */
  readonly collect?: (gauge: Gauge) => void;
}

export class Gauge extends ValueMetric {
  readonly type = "gauge";
  readonly collect: ((gauge: Gauge) => void) | undefined;

  constructor(options: GaugeOptions) {
    super(options);
    this.collect = options.collect;
  }

  set(labels: Labels, value: number): void {
    this.seriesFor(labels).value = value;
  }

  override render(): string[] {
    this.collect?.(this);
    return super.render();
  }
}

export interface HistogramOptions extends MetricOptions {
  readonly buckets?: readonly number[];
}

interface HistogramState {
  readonly counts: number[]; // per bucket, not cumulative; the last one is +Inf
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramState> {
  readonly type = "histogram";
  readonly buckets: readonly number[];

  constructor(options: HistogramOptions) {
    super(options, ["le"]);
    const buckets = options.buckets ?? DEFAULT_BUCKETS;
    const increasing = buckets.every((b, i) => i === 0 || b > (buckets[i - 1] ?? b));
    if (buckets.length === 0 || !buckets.every(Number.isFinite) || !increasing) {
      throw new Error(`${this.name}: buckets must be finite and strictly increasing`);
    }
    this.buckets = [...buckets];
    if (this.labelNames.length === 0) this.seriesFor({});
  }

  observe(labels: Labels, value: number): void {
    if (Number.isNaN(value)) throw new Error(`${this.name}: cannot observe NaN`);
    const state = this.seriesFor(labels);
    const index = this.buckets.findIndex((bound) => value <= bound);
    const slot = index === -1 ? this.buckets.length : index;
    state.counts[slot] = (state.counts[slot] ?? 0) + 1;
    state.sum += value;
    state.count += 1;
  }

  protected initial(): HistogramState {
    return { counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
  }

  protected samples(
    labels: readonly (readonly [string, string])[],
    state: HistogramState,
  ): string[] {
    const lines: string[] = [];
    let cumulative = 0;
    const bounds = [...this.buckets, Infinity];
    bounds.forEach((bound, i) => {
      cumulative += state.counts[i] ?? 0;
      const withLe = [...labels, ["le", formatValue(bound)] as const];
      lines.push(`${this.name}_bucket${renderLabels(withLe)} ${cumulative}`);
    });
    lines.push(`${this.name}_sum${renderLabels(labels)} ${formatValue(state.sum)}`);
    lines.push(`${this.name}_count${renderLabels(labels)} ${state.count}`);
    return lines;
  }
}

export class Registry {
  private readonly metrics = new Map<string, Metric<unknown>>();

  counter(options: MetricOptions): Counter {
    return this.add(new Counter(options));
  }

  gauge(options: GaugeOptions): Gauge {
    return this.add(new Gauge(options));
  }

  histogram(options: HistogramOptions): Histogram {
    return this.add(new Histogram(options));
  }

  /** The whole exposition, families sorted by name, ending in a line feed. */
  render(): string {
    const names = [...this.metrics.keys()].sort();
    const lines = names.flatMap((name) => this.metrics.get(name)?.render() ?? []);
    return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  }

  private add<M extends Metric<unknown>>(metric: M): M {
    if (this.metrics.has(metric.name))
      throw new Error(`metric ${metric.name} is already registered`);
    this.metrics.set(metric.name, metric);
    return metric;
  }
}
