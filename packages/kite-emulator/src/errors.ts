/** Thrown by the programmatic API when an exchange and tradingsymbol are not in the table. */
export class UnknownInstrumentError extends Error {
  readonly code = "UNKNOWN_INSTRUMENT";

  constructor(exchange: string, tradingsymbol: string) {
    super(`unknown instrument ${exchange}:${tradingsymbol}`);
    this.name = "UnknownInstrumentError";
  }
}

/** Thrown when a method needs a running server (`url`) or a second `start()` is attempted. */
export class EmulatorStateError extends Error {
  readonly code = "EMULATOR_STATE";

  constructor(message: string) {
    super(message);
    this.name = "EmulatorStateError";
  }
}
