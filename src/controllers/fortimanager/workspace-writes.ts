import type { GetOptions, ListOptions } from '../../fortigate/client.js';
import type {
  CmdbTable,
  CreateBody,
  GroupTable,
  SystemStatus,
  TableEntry,
  UpdateBody,
  WritableTable,
  WriteResult,
} from '../../fortigate/types.js';
import type { FortiOSApi } from '../device/fortios-api.js';

/**
 * The ADOM's objects as one sync's write phase uses them: reads go straight through, and every
 * write first awaits `begin` (the workspace lock, taken once), so a sync that only reads never
 * locks the ADOM and a sync that writes locks it once, whichever of the plan or adoption writes
 * first (ADR 0003 §5, ADR 0004 "As built").
 */
export class LockOnWrite implements FortiOSApi {
  constructor(
    private readonly objects: FortiOSApi,
    private readonly begin: () => Promise<void>,
  ) {}

  systemStatus(): Promise<SystemStatus> {
    return this.objects.systemStatus();
  }

  list<T extends CmdbTable>(table: T, options?: ListOptions): Promise<TableEntry<T>[]> {
    return this.objects.list(table, options);
  }

  get<T extends CmdbTable>(table: T, name: string, options?: GetOptions): Promise<TableEntry<T> | undefined> {
    return this.objects.get(table, name, options);
  }

  async create<T extends WritableTable>(table: T, entry: CreateBody<T>): Promise<WriteResult> {
    await this.begin();
    return this.objects.create(table, entry);
  }

  async update<T extends WritableTable>(table: T, name: string, patch: UpdateBody<T>): Promise<WriteResult> {
    await this.begin();
    return this.objects.update(table, name, patch);
  }

  async delete(table: WritableTable, name: string): Promise<WriteResult> {
    await this.begin();
    return this.objects.delete(table, name);
  }

  async addMember(table: GroupTable, group: string, member: string): Promise<WriteResult> {
    await this.begin();
    return this.objects.addMember(table, group, member);
  }

  async removeMember(table: GroupTable, group: string, member: string): Promise<WriteResult> {
    await this.begin();
    return this.objects.removeMember(table, group, member);
  }

  authBlockedUntilMs(): number {
    return this.objects.authBlockedUntilMs();
  }

  close(): void {
    // The connection's client is closed by its reconciler, not by one sync.
  }
}
