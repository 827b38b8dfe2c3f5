/**
 * What a test file set up, undone in reverse order of setup: an engine stops before the database
 * it writes to is dropped. Only what was set up is undone, so a setup that failed half-way still
 * leaves nothing running.
 */
export class Teardown {
  readonly #steps: (() => unknown)[] = [];

  /** Runs `undo` at teardown, before every step deferred earlier. */
  defer(undo: () => unknown): void {
    this.#steps.push(undo);
  }

  /** Undoes everything deferred so far, newest first; a later `run` undoes only what came since. */
  async run(): Promise<void> {
    for (let undo = this.#steps.pop(); undo; undo = this.#steps.pop()) await undo();
  }
}
