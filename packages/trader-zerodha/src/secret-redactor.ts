/**
 * Replaces known secrets (every access token seen, the API secret) in text bound for a log line,
 * an error message or an event. Messages mostly come from Kite and should never hold a secret;
 * this is the second line of defence, should one ever echo a header or a request.
 */
export class SecretRedactor {
  readonly #secrets = new Set<string>();

  /** Remembers a secret; short values are ignored so ordinary words are never masked. */
  add(secret: string | null | undefined): void {
    if (secret && secret.length >= 6) this.#secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.replaceAll(secret, "[redacted]");
    }
    return out;
  }
}
