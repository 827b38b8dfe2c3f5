import { readFile, stat } from "node:fs/promises";

/**
 * The Upstox access token: from `UPSTOX_ACCESS_TOKEN`, or from `UPSTOX_ACCESS_TOKEN_FILE`, re-read
 * whenever the file's mtime, size or inode change. Upstox tokens die at 03:30 IST every day, so a
 * deployment writes the new one to the file and the trader takes it without a restart.
 */
export class AccessToken {
  readonly #file: string | null;
  #token: string | null;
  #seen = "";

  constructor(file: string | null, fallback: string | null) {
    this.#file = file;
    this.#token = fallback;
  }

  /** The token known now, or null. */
  get current(): string | null {
    return this.#token;
  }

  /**
   * Re-reads the file when it changed; resolves true when the token changed. A missing or empty
   * file (mid-rotation) keeps the token there is.
   */
  async refresh(): Promise<boolean> {
    if (this.#file === null) return false;
    try {
      const info = await stat(this.#file);
      const seen = `${info.ino}/${info.size}/${info.mtimeMs}`;
      if (seen === this.#seen) return false;
      this.#seen = seen;
      const token = (await readFile(this.#file, "utf8")).trim();
      if (token === "" || token === this.#token) return false;
      this.#token = token;
      return true;
    } catch {
      return false;
    }
  }
}
