const WIDTH = 30;
/** How often a progress line is written when the output is not a terminal, ms. */
const PLAIN_INTERVAL_MS = 5_000;

/**
 * A one-line progress bar on a terminal (redrawn in place), or a plain line
 * every few seconds when the output is a file or a pipe, so CI logs stay readable.
 */
export class ProgressBar {
  readonly #out: NodeJS.WriteStream;
  readonly #interactive: boolean;
  #lastPlain = 0;
  #drawn = false;

  public constructor(out: NodeJS.WriteStream = process.stderr) {
    this.#out = out;
    this.#interactive = Boolean(out.isTTY);
  }

  /** Shows `fraction` (0..1) done, followed by `text`. */
  public update(fraction: number, text: string): void {
    const done = Math.max(0, Math.min(1, fraction));
    if (this.#interactive) {
      const filled = Math.round(done * WIDTH);
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(WIDTH - filled)}] ${String(Math.floor(done * 100)).padStart(3)}%`;
      const line = `${bar}  ${text}`.slice(0, (this.#out.columns ?? 120) - 1);
      this.#out.write(`\r\x1b[2K${line}`);
      this.#drawn = true;
      return;
    }
    const now = Date.now();
    if (now - this.#lastPlain >= PLAIN_INTERVAL_MS || done >= 1) {
      this.#lastPlain = now;
      this.#out.write(`${String(Math.floor(done * 100)).padStart(3)}%  ${text}\n`);
    }
  }

  /** Ends the bar's line so later output starts on a fresh one. */
  public finish(): void {
    if (this.#drawn) this.#out.write('\n');
    this.#drawn = false;
  }
}
