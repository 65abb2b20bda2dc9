// GET and HEAD /metrics (the exposition itself) are in metrics.test.ts
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { bannerOf, pathOf } from "../src/app.js";
import { parseFlags, type FlagSource, type Flags } from "../src/flags.js";
import { rawRequest, startApp, type Running } from "./support/http.js";

let app: Running;

beforeAll(async () => {
  app = await startApp({ version: "1.2.3" });
});

afterAll(() => app.close());

describe("GET /health", () => {
  it("answers 200 with status ok as JSON", async () => {
    const res = await fetch(app.url("/health"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("ignores the query string", async () => {
    const res = await fetch(app.url("/health?probe=alb#x"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });
});

describe("GET /version", () => {
  it("answers the version the app was created with", async () => {
    const res = await fetch(app.url("/version"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({ version: "1.2.3" });
  });

  it("encodes any version string as JSON", async () => {
    const other = await startApp({ version: 'v2 "quoted" \\ ünïcode\n' });
    try {
      const res = await fetch(other.url("/version"));
      expect(await res.json()).toEqual({ version: 'v2 "quoted" \\ ünïcode\n' });
    } finally {
      await other.close();
    }
  });
});

/** Flags the test changes between requests, as a refresh would. */
function settable(initial: Flags = {}): FlagSource & { set(flags: unknown): void } {
  let flags = initial;
  return { current: () => flags, set: (value) => (flags = parseFlags(value)) };
}

describe("GET /flags", () => {
  it("answers {} when the service has no flags", async () => {
    const res = await fetch(app.url("/flags"));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(await res.json()).toEqual({});
  });

  it("answers the flags as they are at each request", async () => {
    const flags = settable();
    const other = await startApp({ version: "1", flags });
    try {
      const value = { beta: { enabled: true, limit: 3 }, dark: { enabled: false } };
      flags.set(value);
      expect(await (await fetch(other.url("/flags"))).json()).toEqual(value);
      flags.set({});
      expect(await (await fetch(other.url("/flags?x=1"))).json()).toEqual({});
    } finally {
      await other.close();
    }
  });
});

describe("flag maintenance_banner", () => {
  it("adds Maintenance-Banner to every answer while enabled, and only then", async () => {
    const flags = settable();
    const other = await startApp({ version: "7.0.0", flags });
    try {
      const banner = async (path: string, method = "GET"): Promise<string | null> => {
        const res = await fetch(other.url(path), { method });
        await res.arrayBuffer();
        return res.headers.get("maintenance-banner");
      };
      expect(await banner("/health")).toBeNull();
      flags.set({ maintenance_banner: { enabled: true, message: "read-only until 14:00 WAT" } });
      for (const path of ["/health", "/version", "/flags", "/metrics", "/nope"]) {
        expect(await banner(path)).toBe("read-only until 14:00 WAT");
      }
      expect(await banner("/health", "POST")).toBe("read-only until 14:00 WAT");
      // the body of /version keeps its shape: the smoke test compares it to the deployed tag
      expect(await (await fetch(other.url("/version"))).json()).toEqual({ version: "7.0.0" });
      flags.set({ maintenance_banner: { enabled: false, message: "x" } });
      expect(await banner("/health")).toBeNull();
    } finally {
      await other.close();
    }
  });
});

describe("bannerOf", () => {
  it.each([
    [{}, undefined],
    [{ maintenance_banner: { enabled: false, message: "m" } }, undefined],
    [{ other: { enabled: true, message: "m" } }, undefined],
    [{ maintenance_banner: { enabled: true, message: "back at 2" } }, "back at 2"],
    [{ maintenance_banner: { enabled: true } }, "maintenance"],
    [{ maintenance_banner: { enabled: true, message: 42 } }, "maintenance"],
    [{ maintenance_banner: { enabled: true, message: "" } }, "maintenance"],
    [{ maintenance_banner: { enabled: true, message: "line\r\nSet-Cookie: x" } }, "maintenance"],
    [{ maintenance_banner: { enabled: true, message: "ünïcode" } }, "maintenance"],
    [{ maintenance_banner: { enabled: true, message: "x".repeat(201) } }, "maintenance"],
    [{ maintenance_banner: { enabled: true, message: "x".repeat(200) } }, "x".repeat(200)],
  ])("%j -> %j", (value, banner) => {
    expect(bannerOf(parseFlags(value))).toBe(banner);
  });
});

describe("HEAD", () => {
  it.each(["/health", "/version", "/flags"])(
    "%s: same status and headers as GET, no body",
    async (path) => {
      const get = await rawRequest(app.port, "GET", path);
      const head = await rawRequest(app.port, "HEAD", path);
      expect(head.status).toBe(200);
      expect(head.body).toBe("");
      expect(head.headers["content-type"]).toBe(get.headers["content-type"]);
      expect(head.headers["content-length"]).toBe(get.headers["content-length"]);
    },
  );
});

describe("unknown paths", () => {
  it.each(["/", "/healthz", "/health/", "/HEALTH", "/metrics/extra", "/version.json"])(
    "%s is 404 JSON",
    async (path) => {
      const res = await fetch(app.url(path));
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
      expect(await res.json()).toEqual({ error: "not found" });
    },
  );

  it("is 404 whatever the method", async () => {
    const res = await fetch(app.url("/nope"), { method: "POST", body: "x" });
    expect(res.status).toBe(404);
    expect(res.headers.get("allow")).toBeNull();
  });

  it("is 404 for paths fetch would normalise", async () => {
    const res = await rawRequest(app.port, "GET", "/x/../health");
    expect(res.status).toBe(404);
  });
});

describe("methods other than GET and HEAD on a known path", () => {
  const methods = ["POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  for (const path of ["/health", "/version", "/flags", "/metrics"]) {
    it.each(methods)(`%s ${path} is 405 with Allow: GET, HEAD`, async (method) => {
      const res = await fetch(app.url(path), { method });
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("GET, HEAD");
      expect(await res.json()).toEqual({ error: "method not allowed" });
    });
  }

  it("is 405 for a method fetch cannot send", async () => {
    const res = await rawRequest(app.port, "PROPFIND", "/health");
    expect(res.status).toBe(405);
    expect(res.headers.allow).toBe("GET, HEAD");
  });
});

describe("pathOf", () => {
  it.each([
    ["/health", "/health"],
    ["/health?x=1", "/health"],
    ["/health#frag", "/health"],
    ["/a?b#c", "/a"],
    ["", ""],
    [undefined, "/"],
  ])("%j -> %j", (url, path) => {
    expect(pathOf(url)).toBe(path);
  });
});
