import { mkdtempSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { RecordingLogger } from "../testing/recording-logger.js";
import { MarketCalendarFile, MarketCalendarFileError } from "./market-calendar-file.js";

/** A logger keeping its entries: the file logs errors and nothing else. */
function errorLogger() {
  const logger = new RecordingLogger();
  return { logger, errors: logger.records };
}

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function calendarPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "market-calendar-"));
  dirs.push(dir);
  return join(dir, "calendar.json");
}

let tick = 0;
/** Writes the file with an mtime of its own, as a later write would have. */
function write(path: string, content: unknown): void {
  writeFileSync(path, typeof content === "string" ? content : JSON.stringify(content));
  tick += 1;
  const at = new Date(Date.UTC(2026, 10, 26, 0, 0, tick));
  utimesSync(path, at, at);
}

const GOOD = {
  years: [2027],
  holidays: [{ date: "2027-01-26", name: "Republic Day" }],
  sessions: [{ date: "2026-11-28", open: "09:15", close: "15:30", name: "special session" }],
};

describe("MarketCalendarFile", () => {
  it("loads a calendar file", async () => {
    const path = calendarPath();
    write(path, GOOD);
    const file = new MarketCalendarFile(path);
    expect(await file.load()).toEqual(GOOD);
    expect(file.current()).toEqual(GOOD);
    expect(await file.poll()).toBe("unchanged");
  });

  it.each([
    ["a missing file", null, /no such file/],
    ["a file that is not JSON", "{ years: [2027] ", /not valid JSON/],
    [
      "a holiday with a bad date",
      { holidays: [{ date: "2027-1-26", name: "R" }] },
      /holidays\[0\]\.date: expected a date YYYY-MM-DD/,
    ],
    ["a misspelt key", { sessionz: [] }, /sessionz/],
  ])(
    "refuses %s at load, naming the file, the variable and the problem",
    async (_label, content, problem) => {
      const path = calendarPath();
      if (content !== null) write(path, content);
      const error = await new MarketCalendarFile(path).load().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(MarketCalendarFileError);
      const message = (error as Error).message;
      expect(message).toContain(path);
      expect(message).toContain("MARKET_CALENDAR_FILE");
      expect(message).toMatch(problem);
      expect((error as MarketCalendarFileError).code).toBe("INVALID_MARKET_CALENDAR_FILE");
    },
  );

  it("reloads a changed file, keeps the last good calendar through a bad one, and logs it once", async () => {
    const path = calendarPath();
    write(path, GOOD);
    const { logger, errors } = errorLogger();
    const file = new MarketCalendarFile(path, { logger });
    await file.load();

    const next = { ...GOOD, holidays: [...GOOD.holidays, { date: "2027-03-22", name: "Holi" }] };
    write(path, next);
    expect(await file.poll()).toBe("changed");
    expect(file.current()).toEqual(next);

    write(path, { ...next, holidays: [{ date: "2027-02-30", name: "no such day" }] });
    expect(await file.poll()).toBe("rejected");
    expect(await file.poll()).toBe("unchanged");
    expect(file.current()).toEqual(next);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.context).toMatchObject({
      file: path,
      kept: "the last good calendar",
    });
    expect(String(errors[0]?.context.problem)).toMatch(/holidays\[0\]\.date/);

    write(path, "not json");
    expect(await file.poll()).toBe("rejected");
    expect(errors).toHaveLength(2);
    expect(String(errors[1]?.context.problem)).toMatch(/not valid JSON/);

    write(path, GOOD);
    expect(await file.poll()).toBe("changed");
    expect(file.current()).toEqual(GOOD);
    expect(errors).toHaveLength(2);
  });

  it("keeps the calendar while the file is gone, logs that once, and reads it when it is back", async () => {
    const path = calendarPath();
    write(path, GOOD);
    const { logger, errors } = errorLogger();
    const file = new MarketCalendarFile(path, { logger });
    await file.load();
    rmSync(path);
    expect(await file.poll()).toBe("rejected");
    expect(await file.poll()).toBe("unchanged");
    expect(file.current()).toEqual(GOOD);
    expect(errors.map((e) => e.context.problem)).toEqual(["no such file"]);
    // Replaced by an atomic rename, as deployment tools write files.
    const staged = `${path}.new`;
    write(staged, { years: [2027, 2028] });
    renameSync(staged, path);
    expect(await file.poll()).toBe("changed");
    expect(file.current()?.years).toEqual([2027, 2028]);
  });

  it("shares one look at the file between concurrent polls", async () => {
    const path = calendarPath();
    write(path, GOOD);
    const file = new MarketCalendarFile(path);
    await file.load();
    write(path, { years: [2027] });
    expect(await Promise.all([file.poll(), file.poll(), file.poll()])).toEqual([
      "changed",
      "changed",
      "changed",
    ]);
    expect(await file.poll()).toBe("unchanged");
  });
});
