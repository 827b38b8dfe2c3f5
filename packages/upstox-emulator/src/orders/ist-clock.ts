const IST_SHIFT_MS = 19_800_000; // +05:30, no daylight saving

/** `yyyy-MM-dd HH:mm:ss` of an instant in IST, without a zone, as Upstox writes timestamps. */
export function istStamp(epochMs: number): string {
  return new Date(epochMs + IST_SHIFT_MS).toISOString().slice(0, 19).replace("T", " ");
}

/** `yyMMdd` of the IST day: the first digits of the emulator's 15-digit order ids. */
export function istDay(epochMs: number): string {
  return new Date(epochMs + IST_SHIFT_MS).toISOString().slice(2, 10).replaceAll("-", "");
}
