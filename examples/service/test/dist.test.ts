/**
 * The compiled entry points as the image runs them: `node dist/server.js` and
 * `node dist/healthcheck.js` in real processes with real signals. Built into a temporary directory
 * with the project's tsconfig.build.json, so the test needs no `npm run build` first.
 */

import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { freePort } from "./support/http.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
let out: string;
const children: ChildProcess[] = [];
// each test starts node processes: generous limits for a loaded CI runner

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "service-dist-"));
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  await run(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json"), "--outDir", out], {
    cwd: root,
  });
  // dist/ sits next to the project's package.json ("type": "module"); the copy needs its own
  await writeFile(join(out, "package.json"), '{ "type": "module" }\n');
}, 60_000);

afterAll(async () => {
  for (const child of children) child.kill("SIGKILL");
  await rm(out, { recursive: true, force: true });
});

interface Exit {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function start(
  script: string,
  env: Record<string, string>,
): { child: ChildProcess; exit: Promise<Exit> } {
  const child = spawn(process.execPath, [join(out, script)], {
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exit = new Promise<Exit>((resolve) =>
    child.on("close", (code) => resolve({ code, stdout, stderr })),
  );
  return { child, exit };
}

async function untilListening(child: ChildProcess): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes('"msg":"listening"')) resolve();
    });
    child.on("close", (code) => reject(new Error(`server exited ${code} before listening`)));
  });
}

describe("node dist/server.js", () => {
  it("serves on PORT, passes the health check and exits 0 on SIGTERM", async () => {
    const port = String(await freePort());
    const server = start("server.js", { PORT: port, APP_VERSION: "4.5.6" });
    await untilListening(server.child);

    const res = await fetch(`http://127.0.0.1:${port}/version`);
    expect(await res.json()).toEqual({ version: "4.5.6" });
    const check = await start("healthcheck.js", { PORT: port }).exit;
    expect(check).toMatchObject({ code: 0, stderr: "" });

    server.child.kill("SIGTERM");
    const exit = await server.exit;
    expect(exit.code).toBe(0);
    expect(exit.stderr).toBe("");
    expect(exit.stdout).toContain('"signal":"SIGTERM"');
  }, 30_000);

  it("exits 2 with one line on stderr for a bad PORT", async () => {
    const exit = await start("server.js", { PORT: "70000" }).exit;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toBe('server: PORT must be an integer from 1 to 65535, got "70000"\n');
    expect(exit.stdout).toBe("");
  }, 30_000);

  // how a bad release shows up on the local target: the service refuses its config and exits
  it("exits 2 with one line on stderr for a bad LOG_LEVEL", async () => {
    const exit = await start("server.js", { PORT: String(await freePort()), LOG_LEVEL: "loud" })
      .exit;
    expect(exit.code).toBe(2);
    expect(exit.stderr).toBe(
      'server: LOG_LEVEL must be one of debug, info, warn, error, got "loud"\n',
    );
    expect(exit.stdout).toBe("");
  }, 30_000);
});

describe("node dist/healthcheck.js", () => {
  it("exits 1 when nothing answers on PORT", async () => {
    const port = String(await freePort());
    const exit = await start("healthcheck.js", { PORT: port }).exit;
    expect(exit.code).toBe(1);
    expect(exit.stderr).toMatch(
      new RegExp(`^healthcheck: http://127\\.0\\.0\\.1:${port}/health: .*ECONNREFUSED.*\\n$`),
    );
  }, 30_000);
});
