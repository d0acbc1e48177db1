export type SimTableName =
  'firewall/address' | 'firewall/address6' | 'firewall/addrgrp' | 'firewall/addrgrp6' | 'firewall/policy';

export type Family = 4 | 6;

export interface ReferenceField {
  field: string;
  family: Family;
}

export interface TableDef {
  name: SimTableName;
  kind: 'address' | 'group' | 'policy';
  family?: Family;
  mkeyField: 'name' | 'policyid';
  /** List attributes whose entries name other objects; also the child endpoints of the table. */
  references: readonly ReferenceField[];
}

export const TABLES: Record<SimTableName, TableDef> = {
  'firewall/address': {
    name: 'firewall/address',
    kind: 'address',
    family: 4,
    mkeyField: 'name',
    references: [],
  },
  'firewall/address6': {
    name: 'firewall/address6',
    kind: 'address',
    family: 6,
    mkeyField: 'name',
    references: [],
  },
  'firewall/addrgrp': {
    name: 'firewall/addrgrp',
    kind: 'group',
    family: 4,
    mkeyField: 'name',
    references: [
      { field: 'member', family: 4 },
      { field: 'exclude-member', family: 4 },
    ],
  },
  'firewall/addrgrp6': {
    name: 'firewall/addrgrp6',
    kind: 'group',
    family: 6,
    mkeyField: 'name',
    references: [
      { field: 'member', family: 6 },
      { field: 'exclude-member', family: 6 },
    ],
  },
  'firewall/policy': {
    name: 'firewall/policy',
    kind: 'policy',
    mkeyField: 'policyid',
    references: [
      { field: 'srcaddr', family: 4 },
      { field: 'dstaddr', family: 4 },
      { field: 'srcaddr6', family: 6 },
      { field: 'dstaddr6', family: 6 },
    ],
  },
};

export const TABLE_NAMES = Object.keys(TABLES) as SimTableName[];

export function isSimTable(name: string): name is SimTableName {
  return Object.hasOwn(TABLES, name);
}

/** Addresses and groups of one IP family share one name space per VDOM. */
export function namespaceTables(family: Family): readonly [SimTableName, SimTableName] {
  return family === 4 ? ['firewall/address', 'firewall/addrgrp'] : ['firewall/address6', 'firewall/addrgrp6'];
}
