import type { IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { addressTable } from '../../fortigate/types.js';
import type { FortiOSApi } from './fortios-api.js';

/** An address as the device holds it now: what the exact-ownership check needs. */
export interface CurrentAddress {
  name: string;
  comment?: string;
}

/** The addresses one read covers: a pool's width, so a read comes right before its deletes. */
export const OWNERSHIP_READ_BATCH = 16;

/**
 * The re-read of each address right before it is deleted (issue 14: a copy of our comment on
 * someone else's object must never be taken for ours), one filtered list (`name==a,name==b`, an OR)
 * for a batch of the plan's deletions instead of one GET per address (issue 19). A batch is read
 * when its first deletion asks, and the deletions of a batch are consecutive in the executor's pool,
 * so each delete still follows its own read by about one round trip.
 */
export class OwnershipReads {
  private readonly batchOf = new Map<string, { family: IPFamily; names: string[] }>();
  private readonly reads = new Map<
    { family: IPFamily; names: string[] },
    Promise<Map<string, CurrentAddress>>
  >();

  constructor(
    private readonly client: FortiOSApi,
    deletions: readonly { family: IPFamily; name: string }[],
    /** Called once per list sent (the sync counts its reads). */
    private readonly onRead: () => void,
    batchSize = OWNERSHIP_READ_BATCH,
  ) {
    const open = new Map<IPFamily, { family: IPFamily; names: string[] }>();
    for (const { family, name } of deletions) {
      let batch = open.get(family);
      if (!batch || batch.names.length >= batchSize) open.set(family, (batch = { family, names: [] }));
      batch.names.push(name);
      this.batchOf.set(`${family}/${name}`, batch);
    }
  }

  /** The address as the device holds it now (read with its batch); undefined when it is gone. */
  async current(family: IPFamily, name: string): Promise<CurrentAddress | undefined> {
    const batch = this.batchOf.get(`${family}/${name}`);
    if (!batch) throw new Error(`no ownership read planned for ${family}/${name}`);
    let read = this.reads.get(batch);
    if (!read) {
      read = this.read(batch);
      this.reads.set(batch, read);
    }
    return (await read).get(name);
  }

  private async read(batch: { family: IPFamily; names: string[] }): Promise<Map<string, CurrentAddress>> {
    this.onRead();
    const entries = await this.client.list(addressTable(batch.family), {
      filter: [batch.names.map((value) => ({ field: 'name', op: '==' as const, value }))],
      format: ['name', 'comment'],
    });
    // A reader that ignores the filter (a wider answer) is only slower: the names are looked up.
    return new Map(entries.map((e) => [e.name, { name: e.name, comment: e.comment }]));
  }
}
