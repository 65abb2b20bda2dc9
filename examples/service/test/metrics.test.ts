// The registry, the exposition format and the /metrics endpoint (properties: metrics.property.test.ts).
import { afterEach, describe, expect, it } from "vitest";

import {
  CONTENT_TYPE,
  DEFAULT_BUCKETS,
  Registry,
  escapeHelp,
  escapeLabelValue,
  formatValue,
} from "../src/metrics.js";
import { parseExposition, total } from "./support/exposition.js";
import { rawRequest, startApp, type Running } from "./support/http.js";

describe("escaping", () => {
  it.each([
    ["plain", "plain"],
    ["back\\slash", "back\\\\slash"],
    ['double "quote"', 'double \\"quote\\"'],
    ["line\nfeed", "line\\nfeed"],
    ['\\"\n', '\\\\\\"\\n'],
    ["tab\tand\rcr stay", "tab\tand\rcr stay"],
  ])("label value %j -> %j", (raw, escaped) => {
    expect(escapeLabelValue(raw)).toBe(escaped);
  });

  it("escapes backslash and line feed in HELP but keeps double quotes", () => {
    expect(escapeHelp('a\\b\n"c"')).toBe('a\\\\b\\n"c"');
  });

  it.each([
    [0, "0"],
    [1.5, "1.5"],
    [-2, "-2"],
    [Infinity, "+Inf"],
    [-Infinity, "-Inf"],
    [NaN, "NaN"],
  ])("value %s -> %s", (value, text) => {
    expect(formatValue(value)).toBe(text);
  });
});

describe("Registry", () => {
  it("renders nothing when empty", () => {
    expect(new Registry().render()).toBe("");
  });

  it("writes HELP and TYPE before the samples of each family", () => {
    const registry = new Registry();
    registry.counter({ name: "jobs_total", help: "Jobs done.\nSecond line \\ here." }).inc();
    expect(registry.render()).toBe(
      "# HELP jobs_total Jobs done.\\nSecond line \\\\ here.\n# TYPE jobs_total counter\njobs_total 1\n",
    );
  });

  it("orders families by name and series by label values, whatever the insertion order", () => {
    const registry = new Registry();
    const zeta = registry.counter({ name: "zeta_total", help: "z", labelNames: ["k"] });
    registry.gauge({ name: "alpha", help: "a" }).set({}, 3);
    for (const k of ["b", "a", "c", "B"]) zeta.inc({ k });
    expect(registry.render()).toBe(
      [
        "# HELP alpha a",
        "# TYPE alpha gauge",
        "alpha 3",
        "# HELP zeta_total z",
        "# TYPE zeta_total counter",
        'zeta_total{k="B"} 1',
        'zeta_total{k="a"} 1',
        'zeta_total{k="b"} 1',
        'zeta_total{k="c"} 1',
        "",
      ].join("\n"),
    );
  });

  it("sorts on the first label, then the next", () => {
    const registry = new Registry();
    const c = registry.counter({ name: "c", help: "c", labelNames: ["x", "y"] });
    c.inc({ y: "1", x: "b" });
    c.inc({ y: "2", x: "a" });
    c.inc({ y: "1", x: "a" });
    const lines = registry.render().split("\n").slice(2, -1);
    expect(lines).toEqual(['c{x="a",y="1"} 1', 'c{x="a",y="2"} 1', 'c{x="b",y="1"} 1']);
  });

  it("escapes label values in the output", () => {
    const registry = new Registry();
    registry.counter({ name: "c", help: "c", labelNames: ["path"] }).inc({ path: 'a"b\\c\nd' });
    expect(registry.render()).toContain('c{path="a\\"b\\\\c\\nd"} 1\n');
  });

  it("refuses a second metric with the same name", () => {
    const registry = new Registry();
    registry.counter({ name: "dup", help: "x" });
    expect(() => registry.gauge({ name: "dup", help: "y" })).toThrow(/already registered/);
  });

  it.each(["", "1abc", "has-dash", "space name"])("refuses the metric name %j", (name) => {
    expect(() => new Registry().counter({ name, help: "x" })).toThrow(/invalid metric name/);
  });

  it.each([["1x"], ["__reserved"], ["a-b"], ["a", "a"]])(
    "refuses the label names %j",
    (...labelNames) => {
      expect(() => new Registry().counter({ name: "m", help: "x", labelNames })).toThrow(
        /label name/,
      );
    },
  );

  it("refuses le as a histogram label", () => {
    expect(() => new Registry().histogram({ name: "h", help: "x", labelNames: ["le"] })).toThrow(
      /invalid label name le/,
    );
  });
});

describe("Counter", () => {
  it("starts an unlabelled counter at 0 and adds", () => {
    const registry = new Registry();
    const c = registry.counter({ name: "c_total", help: "c" });
    expect(registry.render()).toContain("\nc_total 0\n");
    c.inc();
    c.inc({}, 2.5);
    expect(c.get()).toBe(3.5);
  });

  it("has no series for a labelled counter until the first increment", () => {
    const registry = new Registry();
    registry.counter({ name: "c_total", help: "c", labelNames: ["x"] });
    expect(registry.render()).toBe("# HELP c_total c\n# TYPE c_total counter\n");
  });

  it.each([-1, NaN, Infinity])("refuses to add %s", (by) => {
    const c = new Registry().counter({ name: "c_total", help: "c" });
    expect(() => c.inc({}, by)).toThrow(/only goes up/);
    expect(c.get()).toBe(0);
  });

  it("needs exactly the declared labels", () => {
    const c = new Registry().counter({ name: "c_total", help: "c", labelNames: ["a", "b"] });
    expect(() => c.inc({ a: "1" })).toThrow(/labels must be exactly \[a, b\], got \[a\]/);
    expect(() => c.inc({ a: "1", b: "2", c: "3" })).toThrow(/labels must be exactly/);
    c.inc({ b: "2", a: "1" });
    expect(c.get({ a: "1", b: "2" })).toBe(1);
  });
});

describe("Gauge", () => {
  it("can go up and down and is read at render time by its collect function", () => {
    const registry = new Registry();
    let reading = 1;
    registry.gauge({ name: "g", help: "g", collect: (g) => g.set({}, reading) });
    expect(registry.render()).toContain("\ng 1\n");
    reading = -0.5;
    expect(registry.render()).toContain("\ng -0.5\n");
  });
});

describe("Histogram", () => {
  it("counts observations into cumulative buckets with +Inf, _sum and _count", () => {
    const registry = new Registry();
    const h = registry.histogram({ name: "h", help: "h", buckets: [0.1, 1] });
    for (const v of [0.05, 0.1, 0.5, 2, 3]) h.observe({}, v);
    expect(registry.render()).toBe(
      [
        "# HELP h h",
        "# TYPE h histogram",
        'h_bucket{le="0.1"} 2',
        'h_bucket{le="1"} 3',
        'h_bucket{le="+Inf"} 5',
        "h_sum 5.65",
        "h_count 5",
        "",
      ].join("\n"),
    );
  });

  it("puts le after the other labels", () => {
    const registry = new Registry();
    registry
      .histogram({ name: "h", help: "h", labelNames: ["route"], buckets: [1] })
      .observe({ route: "/x" }, 1);
    expect(registry.render()).toContain(
      'h_bucket{route="/x",le="1"} 1\nh_bucket{route="/x",le="+Inf"} 1\n',
    );
    expect(registry.render()).toContain('h_sum{route="/x"} 1\nh_count{route="/x"} 1\n');
  });

  it("uses the Prometheus default buckets", () => {
    const h = new Registry().histogram({ name: "h", help: "h" });
    expect(h.buckets).toEqual(DEFAULT_BUCKETS);
  });

  it.each([[[]], [[1, 1]], [[2, 1]], [[1, Infinity]], [[NaN]]])(
    "refuses the buckets %j",
    (buckets) => {
      expect(() => new Registry().histogram({ name: "h", help: "h", buckets })).toThrow(
        /strictly increasing/,
      );
    },
  );

  it("refuses NaN", () => {
    const h = new Registry().histogram({ name: "h", help: "h" });
    expect(() => h.observe({}, NaN)).toThrow(/NaN/);
  });
});

describe("the /metrics endpoint", () => {
  let app: Running;

  afterEach(() => app.close());

  async function scrape(): Promise<ReturnType<typeof parseExposition>> {
    const res = await fetch(app.url("/metrics"));
    expect(res.headers.get("content-type")).toBe(CONTENT_TYPE);
    return parseExposition(await res.text());
  }

  it("answers GET with the Prometheus text content type", async () => {
    app = await startApp({ version: "1.2.3" });
    const res = await fetch(app.url("/metrics"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = await res.text();
    expect(Number(res.headers.get("content-length"))).toBe(Buffer.byteLength(body));
  });

  it("answers HEAD with the same headers and no body", async () => {
    app = await startApp({ version: "1.2.3" });
    const head = await rawRequest(app.port, "HEAD", "/metrics");
    expect(head.status).toBe(200);
    expect(head.headers["content-type"]).toBe(CONTENT_TYPE);
    expect(Number(head.headers["content-length"])).toBeGreaterThan(0);
    expect(head.body).toBe("");
  });

  it("declares every family with HELP and TYPE", async () => {
    app = await startApp({ version: "1.2.3" });
    const m = await scrape();
    expect(Object.fromEntries(m.types)).toEqual({
      app_build_info: "gauge",
      http_request_duration_seconds: "histogram",
      http_requests_total: "counter",
      process_uptime_seconds: "gauge",
    });
    for (const name of m.types.keys()) expect(m.help.get(name)).toMatch(/\S/);
  });

  it("counts each request once by method, route template and status, but not the scrape itself", async () => {
    app = await startApp({ version: "1.2.3" });
    await fetch(app.url("/health"));
    await fetch(app.url("/health?x=1"));
    await fetch(app.url("/version"));
    await fetch(app.url("/health"), { method: "POST" });
    await fetch(app.url("/no/such/path"));
    await fetch(app.url("/another-one"), { method: "DELETE" });
    const first = await scrape();
    const count = (labels: Record<string, string>): number =>
      total(first, "http_requests_total", labels);
    expect(count({ method: "GET", route: "/health", status: "200" })).toBe(2);
    expect(count({ method: "GET", route: "/version", status: "200" })).toBe(1);
    expect(count({ method: "POST", route: "/health", status: "405" })).toBe(1);
    expect(count({ method: "GET", route: "other", status: "404" })).toBe(1);
    expect(count({ method: "DELETE", route: "other", status: "404" })).toBe(1);
    expect(count({})).toBe(6);
    expect(count({ route: "/metrics" })).toBe(0);
    const second = await scrape();
    expect(total(second, "http_requests_total", { route: "/metrics" })).toBe(1);
  });

  it("never uses a client's path or method as a label value", async () => {
    app = await startApp({ version: "1.2.3" });
    await rawRequest(app.port, "GET", "/secret-token-123");
    await rawRequest(app.port, "PROPFIND", "/health");
    await rawRequest(app.port, "MKCOL", "/elsewhere");
    const m = await scrape();
    const routes = new Set(m.samples.map((s) => s.labels.route).filter((r) => r !== undefined));
    const methods = new Set(m.samples.map((s) => s.labels.method).filter((r) => r !== undefined));
    expect([...routes].sort()).toEqual(["/health", "other"]);
    expect([...methods].sort()).toEqual(["GET", "other"]);
    expect(
      total(m, "http_requests_total", { method: "other", route: "/health", status: "405" }),
    ).toBe(1);
  });

  it("records one duration per request, with consistent buckets", async () => {
    app = await startApp({ version: "1.2.3" });
    for (let i = 0; i < 3; i++) await fetch(app.url("/health"));
    const m = await scrape();
    const labels = { method: "GET", route: "/health" };
    const buckets = m.samples.filter(
      (s) => s.name === "http_request_duration_seconds_bucket" && s.labels.route === "/health",
    );
    expect(buckets.map((s) => s.labels.le)).toEqual([...DEFAULT_BUCKETS.map(String), "+Inf"]);
    const counts = buckets.map((s) => s.value);
    expect(counts).toEqual([...counts].sort((a, b) => a - b));
    expect(counts.at(-1)).toBe(3);
    expect(total(m, "http_request_duration_seconds_count", labels)).toBe(3);
    const sum = total(m, "http_request_duration_seconds_sum", labels);
    expect(sum).toBeGreaterThanOrEqual(0);
    expect(sum).toBeLessThan(3);
  });

  it("reports the build version and a growing uptime", async () => {
    app = await startApp({ version: 'release "7"' });
    const first = await scrape();
    expect(first.samples).toContainEqual({
      name: "app_build_info",
      labels: { version: 'release "7"' },
      value: 1,
    });
    const up1 = total(first, "process_uptime_seconds");
    await new Promise((resolve) => setTimeout(resolve, 20));
    const up2 = total(await scrape(), "process_uptime_seconds");
    expect(up1).toBeGreaterThan(0);
    expect(up2).toBeGreaterThan(up1);
  });
});
