import type { FortiGateClient } from '../../fortigate/client.js';

/**
 * The part of a FortiGateClient the device controller uses: the port a unit test fills with an
 * in-memory fake (test/unit/controllers/fake-fortigate.ts).
 */
export type FortiOSApi = Pick<
  FortiGateClient,
  | 'systemStatus'
  | 'list'
  | 'get'
  | 'create'
  | 'update'
  | 'delete'
  | 'addMember'
  | 'removeMember'
  | 'authBlockedUntilMs'
  | 'close'
>;
