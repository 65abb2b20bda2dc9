// fast-check properties of the exposition format and of request counting, at 100 runs each.
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { Registry } from "../src/metrics.js";
import { parseExposition, type Exposition } from "./support/exposition.js";
import { rawRequest, startApp, type Running } from "./support/http.js";

// any code point, line feeds, quotes and backslashes included
const text = fc.string({ unit: "binary", maxLength: 40 });

describe("exposition properties", () => {
  it("a label value and HELP text read back exactly as written, on one line", () => {
    fc.assert(
      fc.property(text, text, fc.nat(), (value, help, by) => {
        const registry = new Registry();
        registry.counter({ name: "c_total", help, labelNames: ["v"] }).inc({ v: value }, by);
        const rendered = registry.render();
        expect(rendered.split("\n")).toHaveLength(4); // HELP, TYPE, one sample, final line feed
        const parsed = parseExposition(rendered);
        expect(parsed.help.get("c_total")).toBe(help);
        expect(parsed.samples).toEqual([{ name: "c_total", labels: { v: value }, value: by }]);
      }),
      { numRuns: 100 },
    );
  });

  it("the output does not depend on the order series were created in", () => {
    fc.assert(
      fc.property(fc.uniqueArray(text, { minLength: 1, maxLength: 12 }), (values) => {
        const render = (order: readonly string[]): string => {
          const registry = new Registry();
          const h = registry.histogram({ name: "h", help: "h", labelNames: ["v"], buckets: [1] });
          for (const v of order) h.observe({ v }, 0.5);
          return registry.render();
        };
        const forward = render(values);
        expect(render([...values].reverse())).toBe(forward);
        const seen = parseExposition(forward)
          .samples.filter((s) => s.name === "h_count")
          .map((s) => s.labels.v);
        expect(seen).toEqual([...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
      }),
      { numRuns: 100 },
    );
  });
});

const KNOWN = ["/health", "/version", "/flags", "/metrics"];
const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;

const requestArb = fc.record({
  method: fc.constantFrom(...METHODS),
  path: fc.oneof(
    fc.constantFrom(...KNOWN, "/health?full=1", "/metrics?x#y", "/", "/health/"),
    fc.webPath().map((p) => (p === "" ? "/" : p)),
  ),
});

interface Expected {
  readonly series: string; // "method route status", as http_requests_total counts it
  readonly timing: string; // "method route", as the duration histogram counts it
}

/** What the server should count for one request, worked out independently of the app. */
function expected(req: { method: string; path: string }): Expected {
  const path = req.path.split(/[?#]/)[0] ?? "";
  const route = KNOWN.includes(path) ? path : "other";
  const status =
    route === "other" ? 404 : req.method === "GET" || req.method === "HEAD" ? 200 : 405;
  return { series: `${req.method} ${route} ${status}`, timing: `${req.method} ${route}` };
}

function counts(m: Exposition, name: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of m.samples.filter((x) => x.name === name)) {
    const { method = "", route = "", status } = s.labels;
    out.set([method, route, ...(status === undefined ? [] : [status])].join(" "), s.value);
  }
  return out;
}

describe("request counting", () => {
  let app: Running;

  beforeAll(async () => {
    app = await startApp({ version: "prop" });
  });

  afterAll(() => app.close());

  const scrape = async (): Promise<Exposition> =>
    parseExposition((await rawRequest(app.port, "GET", "/metrics")).body);

  it("counters only grow, and grow by exactly the requests made", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(requestArb, { maxLength: 12 }), async (requests) => {
        const before = await scrape();
        for (const r of requests) await rawRequest(app.port, r.method, r.path);
        const after = await scrape();

        // the first scrape is counted too (after it answered)
        const made = [...requests, { method: "GET", path: "/metrics" }].map(expected);
        const families = [
          ["http_requests_total", "series"],
          ["http_request_duration_seconds_count", "timing"],
        ] as const;
        for (const [name, key] of families) {
          const was = counts(before, name);
          const now = counts(after, name);
          for (const [series, value] of was) expect(now.get(series)).toBeGreaterThanOrEqual(value);
          for (const series of new Set([...now.keys(), ...made.map((m) => m[key])])) {
            const grown = (now.get(series) ?? 0) - (was.get(series) ?? 0);
            expect(grown, `${name} ${series}`).toBe(made.filter((m) => m[key] === series).length);
          }
        }
      }),
      { numRuns: 100 },
    );
    // ~800 HTTP requests: about 2 s alone, several times that on a loaded CI runner
  }, 60_000);
});
