/**
 * The logging port. Structurally compatible with pino, so the app can pass a pino logger; the
 * libraries never decide where logs go.
 */
export interface Logger {
  /** Detail for debugging; `context` is merged into the structured line. */
  debug(context: object, message?: string): void;
  /** Something an operator may want to know happened. */
  info(context: object, message?: string): void;
  /** Something unusual the engine handled. */
  warn(context: object, message?: string): void;
  /** Something failed and needs a look. */
  error(context: object, message?: string): void;
  /** A logger that adds `bindings` to every line. */
  child(bindings: Record<string, unknown>): Logger;
}

/** A logger that drops everything: the default where the caller passes none. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
