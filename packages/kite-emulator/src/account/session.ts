/** Result of checking a request's credentials. */
export type AuthCheck = "ok" | "missing-version" | "bad-token";

/**
 * The api_key and the access token currently valid. Rotating replaces the token, so the old
 * one stops working at once, as after a new Kite login; expiring leaves no valid token.
 */
export class Session {
  readonly apiKey: string;
  #accessToken: string | null;

  constructor(apiKey: string, accessToken: string) {
    this.apiKey = apiKey;
    this.#accessToken = accessToken;
  }

  get accessToken(): string | null {
    return this.#accessToken;
  }

  rotate(accessToken: string): void {
    this.#accessToken = accessToken;
  }

  expire(): void {
    this.#accessToken = null;
  }

  /** Checks `X-Kite-Version: 3` and `Authorization: token <api_key>:<access_token>`. */
  check(version: string | undefined, authorization: string | undefined): AuthCheck {
    if (version?.trim() !== "3") return "missing-version";
    const match = /^token\s+([^:\s]+):(\S+)$/.exec(authorization?.trim() ?? "");
    if (match === null || this.#accessToken === null) return "bad-token";
    return match[1] === this.apiKey && match[2] === this.#accessToken ? "ok" : "bad-token";
  }
}
