// Order and memory the bridge keeps per alert: one site's messages handled one after the other,
// and the alerts recently closed without an incident.

/**
 * Runs the tasks of one key one after the other: "look up the incident, then act" is then atomic
 * within this bridge (the workflow itself deduplicates across bridges).
 */
export class SerialQueues {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => {});
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
}

/** The newest `max` keys seen, oldest forgotten first. */
export class RecentKeys {
  private readonly seen = new Map<string, number>();
  private readonly max: number;

  constructor(max: number) {
    this.max = max;
  }

  add(key: string): void {
    this.seen.delete(key);
    this.seen.set(key, Date.now());
    if (this.seen.size > this.max) this.seen.delete(this.seen.keys().next().value!);
  }

  has(key: string): boolean {
    return this.seen.has(key);
  }
}
