/**
 * Bounded concurrency for password hashing. argon2 and bcrypt run on libuv's thread pool, off
 * the event loop; this caps how many run at once and how many wait, so a burst of logins
 * queues briefly instead of piling up until nginx's auth_http_timeout expires. A full queue
 * refuses at once with HashPoolOverloaded, which the caller answers as a temporary failure.
 */

export class HashPoolOverloaded extends Error {
  constructor(queued: number) {
    super(`password hashing is saturated (${queued} waiting)`);
    this.name = 'HashPoolOverloaded';
  }
}

export interface HashPool {
  run<T>(job: () => Promise<T>): Promise<T>;
  /** Jobs running and waiting, for metrics and tests. */
  load(): { running: number; queued: number };
}

export function createHashPool(opts: { concurrency: number; maxQueue: number }): HashPool {
  let running = 0;
  const waiting: Array<() => void> = [];
  const release = (): void => {
    running--;
    const next = waiting.shift();
    if (next) {
      running++;
      next();
    }
  };
  return {
    async run(job) {
      if (running >= opts.concurrency) {
        if (waiting.length >= opts.maxQueue) throw new HashPoolOverloaded(waiting.length);
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        running++;
      }
      try {
        return await job();
      } finally {
        release();
      }
    },
    load: () => ({ running, queued: waiting.length }),
  };
}
