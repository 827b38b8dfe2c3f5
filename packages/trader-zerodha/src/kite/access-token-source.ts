import { readFile, stat } from "node:fs/promises";

/**
 * Where the access token comes from. Kite tokens expire at 06:00 IST every day, so a deployment
 * that rotates them writes the new one to a file (`KITE_ACCESS_TOKEN_FILE`) and the trader picks
 * it up without a restart.
 */
export interface AccessTokenSource {
  /** The token known now, or null when there is none. */
  current(): string | null;
  /**
   * Looks for a new token; resolves true when it changed. Cheap when nothing changed (one `stat`
   * of the file); `force` re-reads the file even when its metadata looks unchanged.
   */
  poll(options?: { force?: boolean }): Promise<boolean>;
}

/** A token from the environment: it never changes. */
export class StaticTokenSource implements AccessTokenSource {
  readonly #token: string | null;

  constructor(token: string | null) {
    this.#token = token;
  }

  current(): string | null {
    return this.#token;
  }

  async poll(): Promise<boolean> {
    return false;
  }
}

/**
 * A token read from a file, re-read when the file's mtime, size or inode change (a write in
 * place, or an atomic rename). Until the file yields a token, `fallback` (from
 * `KITE_ACCESS_TOKEN`) is used.
 */
export class FileTokenSource implements AccessTokenSource {
  readonly #path: string;
  #token: string | null;
  #signature = "";
  #polling: Promise<boolean> | undefined;

  constructor(path: string, fallback: string | null = null) {
    this.#path = path;
    this.#token = fallback;
  }

  current(): string | null {
    return this.#token;
  }

  poll(options: { force?: boolean } = {}): Promise<boolean> {
    // Concurrent requests share one look at the file.
    this.#polling ??= this.#poll(options.force === true).finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  async #poll(force: boolean): Promise<boolean> {
    let signature: string;
    try {
      const info = await stat(this.#path);
      signature = `${info.mtimeMs}:${info.size}:${info.ino}`;
    } catch {
      // A missing file (mid-rotation, say) keeps the token we have.
      return false;
    }
    if (!force && signature === this.#signature) return false;
    this.#signature = signature;
    let token: string;
    try {
      token = (await readFile(this.#path, "utf8")).trim();
    } catch {
      return false;
    }
    if (token === "" || token === this.#token) return false;
    this.#token = token;
    return true;
  }
}
