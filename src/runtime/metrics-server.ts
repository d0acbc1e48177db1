import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { send, SimpleHttpServer, type ListenAddress } from './http-server.js';

export interface MetricsServerOptions extends ListenAddress {
  registry: Registry;
}

/** Serves a prom-client Registry at /metrics in the Prometheus text format. */
export class MetricsServer {
  private readonly http: SimpleHttpServer;

  constructor(private readonly opts: MetricsServerOptions) {
    this.http = new SimpleHttpServer(async (req, res) => {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD'))
        return send(res, 404, 'not found\n');
      send(res, 200, await opts.registry.metrics(), opts.registry.contentType);
    });
  }

  listen(): Promise<AddressInfo> {
    return this.http.listen({ host: this.opts.host, port: this.opts.port });
  }

  address(): AddressInfo | undefined {
    return this.http.address();
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
