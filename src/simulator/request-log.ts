/** One request as the simulator saw it; the token never appears (access_token is redacted). */
export interface RequestLogEntry {
  seq: number;
  /** ISO time from the simulator's clock. */
  time: string;
  timestampMs: number;
  method: string;
  path: string;
  query: string;
  table?: string;
  mkey?: string;
  vdom?: string;
  status: number;
  fortiosCode?: number;
  durationMs: number;
  sourceIp: string;
  userAgent?: string;
  transactionId?: number;
  /** The first 200 characters of the request body. */
  body?: string;
  /** The injected fault that shaped this answer, if any. */
  fault?: string;
}

export interface RequestLogQuery {
  /** Only entries with `seq` greater than this. */
  since?: number;
  method?: string;
  table?: string;
  limit?: number;
}

/** A bounded log of requests; the oldest entries fall off once `capacity` is reached. */
export class RequestLog {
  private readonly items: RequestLogEntry[] = [];
  private seq = 0;

  constructor(private readonly capacity = 10_000) {}

  add(entry: Omit<RequestLogEntry, 'seq'>): RequestLogEntry {
    const full = { seq: ++this.seq, ...entry };
    this.items.push(full);
    if (this.items.length > this.capacity) this.items.splice(0, this.items.length - this.capacity);
    return full;
  }

  entries(query: RequestLogQuery = {}): RequestLogEntry[] {
    const selected = this.items.filter(
      (e) =>
        (query.since === undefined || e.seq > query.since) &&
        (query.method === undefined || e.method === query.method.toUpperCase()) &&
        (query.table === undefined || e.table === query.table),
    );
    return query.limit === undefined ? selected : selected.slice(-query.limit);
  }

  /** Requests logged since the simulator started (or was last reset), including those dropped. */
  get total(): number {
    return this.seq;
  }

  clear(): void {
    this.items.length = 0;
    this.seq = 0;
  }
}

export function summariseBody(body: string): string | undefined {
  if (body === '') return undefined;
  return body.length > 200 ? `${body.slice(0, 200)}…` : body;
}

export function redactQuery(query: string): string {
  return query.replace(/(^|&)(access_token=)[^&]*/gi, '$1$2REDACTED');
}
