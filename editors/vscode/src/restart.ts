/**
 * When to restart a crashed server. A crash right after start usually repeats (bad install,
 * broken model), so restarts back off exponentially and stop after a few tries; a server that
 * ran for a while before crashing starts over with a short delay.
 */

export interface BackoffOptions {
  initialDelayMs: number;
  maxDelayMs: number;
  /** Crashes in a row (without a stable run between them) before giving up. */
  maxRestarts: number;
  /** A run at least this long counts as stable and resets the count. */
  stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  maxRestarts: 5,
  stableAfterMs: 3 * 60_000,
};

export type RestartDecision = { restart: true; delayMs: number; attempt: number } | { restart: false; crashes: number };

export class RestartPolicy {
  private crashes = 0;
  private startedAt: number | undefined;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly now: () => number = Date.now,
  ) {}

  /** The server (re)started now. */
  started(): void {
    this.startedAt = this.now();
  }

  /** A user-initiated restart forgets earlier crashes. */
  reset(): void {
    this.crashes = 0;
  }

  /** The server died: restart it after `delayMs`, or give up. */
  crashed(): RestartDecision {
    const ranFor = this.startedAt === undefined ? 0 : this.now() - this.startedAt;
    if (ranFor >= this.options.stableAfterMs) {
      this.crashes = 0;
    }
    this.crashes += 1;
    if (this.crashes > this.options.maxRestarts) {
      return { restart: false, crashes: this.crashes };
    }
    const delayMs = Math.min(this.options.maxDelayMs, this.options.initialDelayMs * 2 ** (this.crashes - 1));
    return { restart: true, delayMs, attempt: this.crashes };
  }
}
