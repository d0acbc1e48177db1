import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ListenAddress {
  /** e.g. "127.0.0.1", "0.0.0.0" or "::". */
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
}

/** A started node:http server that knows its bound address and closes idle keep-alive sockets. */
export class SimpleHttpServer {
  private readonly server: Server;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>) {
    this.server = createServer((req, res) => {
      Promise.resolve()
        .then(() => handler(req, res))
        .catch((err: unknown) => {
          if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
          res.end(`internal error: ${err instanceof Error ? err.message : String(err)}\n`);
        });
    });
  }

  listen(addr: ListenAddress): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(addr.port, addr.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  address(): AddressInfo | undefined {
    const a = this.server.address();
    return a && typeof a === 'object' ? a : undefined;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      // Probes and scrapers keep connections alive; without this close() would wait for them.
      this.server.closeAllConnections();
    });
  }
}

export function send(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}
