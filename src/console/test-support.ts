/**
 * Test helper shared by the console's HTTP-level tests: one request to the console under test
 * (Host console.test), the whole answer read.
 */
import { request } from 'node:http';

export interface Res {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request function bound to the port the server under test listens on (read at call time). */
export function consoleClient(port: () => number) {
  return (method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Res> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: port(), method, path, headers: { Host: 'console.test', ...headers } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
}
