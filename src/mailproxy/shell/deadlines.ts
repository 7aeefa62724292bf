/**
 * Timeouts for many connections without a Node timer per connection. Every connection of a
 * listener has the same idle limit and the same login limit, so the deadlines of one limit
 * expire in the order they were set: one Map per limit, kept in that order (re-arming moves an
 * entry to the end), and one Node timer for its first entry. A deadline then costs a Map entry
 * instead of a Timeout object, its closure and its list links (a tenth of the memory, which
 * counts with thousands of idle connections), and still fires to the millisecond, never early.
 */

/** Milliseconds on a clock that never goes back (the wall clock may). */
const monotonicMs = (): number => performance.now();

export class Deadlines<T> {
  /** Item → when it expires; in insertion order, which is deadline order. */
  private readonly due = new Map<T, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly ms: number,
    private readonly expire: (item: T) => void,
    private readonly now: () => number = monotonicMs,
  ) {}

  /** (Re)starts `item`'s countdown: it expires `ms` from now unless disarmed or re-armed first. */
  arm(item: T): void {
    this.due.delete(item);
    // Rounded up (never early); an integer is also a small number for V8, not a heap object.
    const at = Math.ceil(this.now()) + this.ms;
    this.due.set(item, at);
    this.timer ??= this.schedule(at);
  }

  /** Starts `item`'s countdown unless it is running already. */
  start(item: T): void {
    if (!this.due.has(item)) this.arm(item);
  }

  disarm(item: T): void {
    if (!this.due.delete(item) || this.due.size > 0) return;
    // Nothing left: no timer keeps the process alive (or wakes it) for nothing.
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Items armed now. */
  get size(): number {
    return this.due.size;
  }

  private schedule(at: number): NodeJS.Timeout {
    return setTimeout(this.fire, Math.max(0, at - this.now()));
  }

  /**
   * Expires what is due, then waits for the next. The timer was set for the first entry when it
   * was armed; if that one was disarmed since, this wakes early and just waits again.
   */
  private readonly fire = (): void => {
    this.timer = undefined;
    const now = this.now();
    const expired: T[] = [];
    for (const [item, at] of this.due) {
      if (at > now) break;
      expired.push(item);
    }
    for (const item of expired) this.due.delete(item);
    const next = this.due.values().next();
    if (!next.done) this.timer = this.schedule(next.value);
    for (const item of expired) this.expire(item);
  };
}
