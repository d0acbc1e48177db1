import type { DeviceState } from './model/device-state.js';
import type { JsonValue } from './model/json.js';

/** A staged CMDB write, replayed against the live configuration at commit. */
export interface StagedRequest {
  method: string;
  segments: string[];
  query: URLSearchParams;
  body: JsonValue | undefined;
}

interface OpenTransaction {
  staged: DeviceState;
  requests: StagedRequest[];
  expiresAt: number;
}

/**
 * FortiOS transactions: writes carrying `X-TRANSACTION-ID` are validated against a private copy
 * of the configuration and only reach the live one, all together, at commit.
 */
export class TransactionRegistry {
  private nextId = 1;
  private readonly open = new Map<number, OpenTransaction>();

  constructor(private readonly now: () => number) {}

  start(live: DeviceState, timeoutSeconds: number): number {
    const id = this.nextId++;
    this.open.set(id, { staged: live.clone(), requests: [], expiresAt: this.now() + timeoutSeconds * 1000 });
    return id;
  }

  /** The open transaction, or undefined when unknown or expired (an expired one is dropped). */
  get(id: number): OpenTransaction | undefined {
    const tx = this.open.get(id);
    if (tx && this.now() >= tx.expiresAt) {
      this.open.delete(id);
      return undefined;
    }
    return tx;
  }

  take(id: number): OpenTransaction | undefined {
    const tx = this.get(id);
    this.open.delete(id);
    return tx;
  }

  clear(): void {
    this.open.clear();
  }

  get count(): number {
    return this.open.size;
  }
}
