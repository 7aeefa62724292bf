/**
 * The ceiling for Postern's own code: a bare `node:http` server sending a fixed auth_http reply
 * (`Auth-Status: OK` and a backend) to every request, no parsing of the Auth-* headers, no
 * directory, no log. Run as a child process: `node dist/bench/http-baseline.js PORT [AUTH_PORT]`
 * (AUTH_PORT: the backend port it names, default 143); it prints "listening" once bound and
 * stops on SIGTERM.
 */
import http from 'node:http';
import { fileURLToPath } from 'node:url';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.argv[2]);
  const headers = { 'Auth-Status': 'OK', 'Auth-Server': '127.0.0.1', 'Auth-Port': process.argv[3] ?? '143' };
  const server = http.createServer((_req, res) => {
    res.writeHead(200, headers);
    res.end();
  });
  server.listen({ port, host: '127.0.0.1', backlog: 1024 }, () => process.stdout.write('listening\n'));
  process.once('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
  });
}
