// fast-check properties of the flag store, at 100 runs each.
import fc from "fast-check";
import { describe, expect, it } from "vitest";

import { FlagStore, FlagsError, isEnabled, parseFlags } from "../src/flags.js";
import { ManualScheduler, memoryLogger, ok, scriptedFetch, type Answer } from "./support/flags.js";

// "__proto__" as a name is covered by an example in flags.test.ts (toEqual cannot compare it)
const name = fc.string({ maxLength: 12 }).filter((s) => s !== "__proto__");
const flag = fc
  .tuple(fc.boolean(), fc.dictionary(name, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }))
  .map(([enabled, attributes]) => ({ ...attributes, enabled }));
const flagsArb = fc.dictionary(name, flag, { maxKeys: 6 });

/** What went over the wire: -0 becomes 0 and so on. */
const wire = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

const failure: fc.Arbitrary<Answer> = fc.oneof(
  fc.constantFrom(500, 502, 404, 403).map((status) => ({ status, body: "{}" })),
  fc.constantFrom("", "<html>", "[]", "null", '{"a":{}}', '{"a":{"enabled":1}}').map((body) => ({
    status: 200,
    body,
  })),
  fc.constant(new Error("network down")),
);

describe("flag properties", () => {
  it("the agent's evaluated form reads back exactly, and enabled is the flag's own value", () => {
    fc.assert(
      fc.property(flagsArb, name, (flags, probe) => {
        const parsed = parseFlags(wire(flags));
        expect(parsed).toEqual(wire(flags));
        for (const [key, value] of Object.entries(flags)) {
          expect(isEnabled(parsed, key)).toBe(value.enabled);
        }
        if (!Object.hasOwn(flags, probe)) expect(isEnabled(parsed, probe)).toBe(false);
      }),
      { numRuns: 100 },
    );
  });

  it("one flag without a boolean enabled refuses the whole answer", () => {
    const notBoolean = fc.jsonValue().filter((v) => typeof v !== "boolean");
    fc.assert(
      fc.property(flagsArb, name, notBoolean, (flags, bad, enabled) => {
        const value = { ...(wire(flags) as object), [bad]: { enabled } };
        expect(() => parseFlags(value)).toThrow(FlagsError);
      }),
      { numRuns: 100 },
    );
  });

  it("after any run of good and failed refreshes the store holds the last good flags", async () => {
    const outcome = fc.oneof(
      flagsArb.map((flags) => ({ good: true as const, flags })),
      failure.map((answer) => ({ good: false as const, answer })),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(outcome, { minLength: 1, maxLength: 10 }), async (outcomes) => {
        const answers = outcomes.map((o) => (o.good ? ok(o.flags) : o.answer));
        const scheduler = new ManualScheduler();
        const log = memoryLogger();
        const store = new FlagStore({
          url: "http://agent/flags",
          refreshMs: 1_000,
          log,
          fetch: scriptedFetch([...answers]),
          scheduler,
        });
        let expected: unknown = {};
        let failures = 0;
        for (const [i, o] of outcomes.entries()) {
          if (i === 0) await store.start();
          else await scheduler.fire();
          if (o.good) expected = wire(o.flags);
          else failures += 1;
          expect(store.current()).toEqual(expected);
          expect(scheduler.waiting).toEqual([1_000]); // exactly one refresh ahead, never more
        }
        expect(log.lines.filter((l) => l.level === "warn")).toHaveLength(failures);
        store.stop();
      }),
      { numRuns: 100 },
    );
  });
});
