import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { JsonSchema } from './schema-types.js';

export const GROUP = 'fortisync.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** FortiOS object names: at most 79 characters, and never `"`, `'`, `<` or `>`. */
export const FORTIOS_NAME_MAX = 79;
export const FORTIOS_NAME_PATTERN = `^[^"'<>]+$`;
export const FORTIOS_BUILTIN_ADDRESSES = ['all', 'none'] as const;

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  observedGeneration?: number;
  lastTransitionTime: string;
  reason: string;
  message: string;
}

/** Object metadata as client-node types it (custom objects from a watch carry timestamps as strings). */
export type ObjectMeta = V1ObjectMeta & { name: string };

export function labelSelectorSchema(description: string): JsonSchema {
  return {
    type: 'object',
    description,
    properties: {
      matchLabels: {
        type: 'object',
        description: 'Labels that must all be present with these exact values.',
        additionalProperties: { type: 'string', maxLength: 63 },
      },
      matchExpressions: {
        type: 'array',
        description: 'Requirements that must all hold.',
        maxItems: 32,
        items: {
          type: 'object',
          required: ['key', 'operator'],
          properties: {
            key: { type: 'string', minLength: 1, maxLength: 317, description: 'The label key.' },
            operator: {
              type: 'string',
              enum: ['In', 'NotIn', 'Exists', 'DoesNotExist'],
              description: 'How the key relates to the values.',
            },
            values: {
              type: 'array',
              description: 'Values for In and NotIn; must be empty for Exists and DoesNotExist.',
              maxItems: 64,
              items: { type: 'string', maxLength: 63 },
            },
          },
          'x-kubernetes-validations': [
            {
              rule: "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)",
              message:
                'operators In and NotIn need at least one value; Exists and DoesNotExist take no values',
            },
          ],
        },
      },
    },
    'x-kubernetes-map-type': 'atomic',
  };
}

export const conditionsSchema: JsonSchema = {
  type: 'array',
  description: 'Standard conditions (Ready and others); each type appears once.',
  'x-kubernetes-list-type': 'map',
  'x-kubernetes-list-map-keys': ['type'],
  maxItems: 8,
  items: {
    type: 'object',
    required: ['type', 'status', 'lastTransitionTime', 'reason', 'message'],
    properties: {
      type: { type: 'string', maxLength: 316, description: 'Condition type, e.g. Ready.' },
      status: { type: 'string', enum: ['True', 'False', 'Unknown'], description: 'True, False or Unknown.' },
      observedGeneration: {
        type: 'integer',
        minimum: 0,
        description: 'The metadata.generation the condition was computed from.',
      },
      lastTransitionTime: {
        type: 'string',
        format: 'date-time',
        description: 'When the status last changed.',
      },
      reason: { type: 'string', maxLength: 1024, description: 'A CamelCase reason for the status.' },
      message: { type: 'string', maxLength: 32768, description: 'What happened, for a person.' },
    },
  },
};
