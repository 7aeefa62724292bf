/**
 * The floor for the mail proxy's memory per idle connection: a bare `node:net` server that sends
 * an IMAP greeting and holds the socket, nothing else (no session, no timer, no log). What Node
 * itself costs per greeted connection; Postern's listener cannot go below it. The server options
 * are Postern's (half-open allowed, no Nagle) and each socket has an error listener, as any real
 * server needs. Run as a child process: `node dist/bench/net-baseline.js PORT`; it prints
 * "listening" once bound and stops on SIGTERM.
 */
import net from 'node:net';
import { fileURLToPath } from 'node:url';

/** nginx's and Postern's IMAP greeting. */
const GREETING = Buffer.from('* OK IMAP4 ready\r\n');

const sockets = new Set<net.Socket>();

// Shared listeners (`this` is the socket): nothing allocated per connection but what Node needs.
function ignoreError(this: net.Socket): void {
  this.destroy();
}
function forget(this: net.Socket): void {
  sockets.delete(this);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2]);
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', ignoreError);
    socket.on('close', forget);
    socket.write(GREETING);
  });
  server.listen({ port, host: '127.0.0.1', backlog: 1024 }, () => process.stdout.write('listening\n'));
  process.once('SIGTERM', () => {
    server.close();
    for (const s of sockets) s.destroy();
  });
}
