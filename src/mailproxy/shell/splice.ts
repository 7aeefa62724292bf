/**
 * After login the session is a byte pipe (nginx-auth-http.md §3.5): both directions with
 * backpressure (stream.pipe pauses the faster side), a half-close passed on (the client's FIN
 * becomes the backend's), any error ending both, and nginx's `proxy_timeout` as the idle limit
 * over both directions (a socket's timeout counts its reads and its writes, so the client's
 * alone sees traffic either way).
 */
import type net from 'node:net';

/** After one side closed, the other gets this long to flush its last bytes and close by itself. */
const LINGER_MS = 5000;

/** Pipes until both sockets have closed, then calls `onClosed` once. */
export function splice(client: net.Socket, backend: net.Socket, idleMs: number, onClosed: () => void): void {
  const destroyBoth = (): void => {
    client.destroy();
    backend.destroy();
  };
  let open = 2;
  for (const [from, to] of [
    [client, backend],
    [backend, client],
  ] as const) {
    from.pipe(to);
    from.on('error', destroyBoth);
    const onClose = (): void => {
      if (!to.destroyed) {
        // A close without an error already ended `to` through the pipe; end it anyway (an RST
        // skips 'end'), and cut it if it lingers.
        to.end();
        const cut = setTimeout(() => to.destroy(), LINGER_MS);
        to.once('close', () => clearTimeout(cut));
      }
      if (--open === 0) onClosed();
    };
    // A socket that closed before the hand-over (a backend that hung up at once) emits no more 'close'.
    if (from.closed) process.nextTick(onClose);
    else from.once('close', onClose);
  }
  client.setTimeout(idleMs, destroyBoth);
}
