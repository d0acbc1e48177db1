import type { JsonSchema, SpecProblem } from './schema-types.js';

type Twin = (self: Record<string, unknown> | string) => boolean;

const has = (o: Record<string, unknown>, k: string): boolean => o[k] !== undefined && o[k] !== null;

/**
 * A TypeScript twin for each CEL rule in the schemas, keyed by the exact rule text, so the operator
 * enforces the same cross-field constraints as kube-apiserver even under an older installed CRD.
 * A unit test fails when a rule has no twin.
 */
export const CEL_TWINS: Record<string, Twin> = {
  "self.operator in ['In', 'NotIn'] ? (has(self.values) && size(self.values) > 0) : (!has(self.values) || size(self.values) == 0)":
    (self) => {
      const o = self as Record<string, unknown>;
      const values = Array.isArray(o.values) ? o.values.length : 0;
      return o.operator === 'In' || o.operator === 'NotIn' ? values > 0 : values === 0;
    },
  '(has(self.caBundle) ? 1 : 0) + (has(self.caSecretRef) ? 1 : 0) + (has(self.caConfigMapRef) ? 1 : 0) <= 1':
    (self) => {
      const o = self as Record<string, unknown>;
      return ['caBundle', 'caSecretRef', 'caConfigMapRef'].filter((k) => has(o, k)).length <= 1;
    },
  '!(has(self.insecureSkipVerify) && self.insecureSkipVerify) || (!has(self.caBundle) && !has(self.caSecretRef) && !has(self.caConfigMapRef))':
    (self) => {
      const o = self as Record<string, unknown>;
      return (
        o.insecureSkipVerify !== true || !['caBundle', 'caSecretRef', 'caConfigMapRef'].some((k) => has(o, k))
      );
    },
  "!self.url.startsWith('http://') || (has(self.insecurePlainHTTP) && self.insecurePlainHTTP)": (self) => {
    const o = self as Record<string, unknown>;
    return typeof o.url !== 'string' || !o.url.startsWith('http://') || o.insecurePlainHTTP === true;
  },
  "!self.matches('(^|-)(node|pod)6?(-|$)')": (self) =>
    typeof self === 'string' && !/(^|-)(node|pod)6?(-|$)/.test(self),
  "self != 'all' && self != 'none'": (self) => self !== 'all' && self !== 'none',
  'self == self.trim()': (self) => typeof self === 'string' && self === self.trim(),
  "!has(self.policy) || self.policy != 'Packages' || (has(self.packages) && size(self.packages) > 0)": (
    self,
  ) => {
    const o = self as Record<string, unknown>;
    return o.policy !== 'Packages' || (Array.isArray(o.packages) && o.packages.length > 0);
  },
  'has(self.devices) || has(self.fortiManagerTargets)': (self) => {
    const o = self as Record<string, unknown>;
    return has(o, 'devices') || has(o, 'fortiManagerTargets');
  },
};

/** Evaluates every CEL rule's twin along the value, returning the rules broken. */
export function celTwins(schema: JsonSchema, value: unknown, path: string): SpecProblem[] {
  if (value === undefined || value === null) return [];
  const problems: SpecProblem[] = [];
  for (const rule of schema['x-kubernetes-validations'] ?? []) {
    const twin = CEL_TWINS[rule.rule];
    if (!twin) throw new Error(`no TypeScript twin for CEL rule ${rule.rule}`);
    if (!twin(value as Record<string, unknown> | string)) problems.push({ path, message: rule.message });
  }
  if (schema.properties && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, sub] of Object.entries(schema.properties)) {
      problems.push(...celTwins(sub, (value as Record<string, unknown>)[key], `${path}.${key}`));
    }
  }
  if (schema.items && Array.isArray(value)) {
    value.forEach((item, i) => problems.push(...celTwins(schema.items as JsonSchema, item, `${path}[${i}]`)));
  }
  return problems;
}

/** Every CEL rule text in a schema tree (for the completeness test). */
export function celRules(schema: JsonSchema): string[] {
  const rules = (schema['x-kubernetes-validations'] ?? []).map((r) => r.rule);
  for (const sub of Object.values(schema.properties ?? {})) rules.push(...celRules(sub));
  if (schema.items) rules.push(...celRules(schema.items));
  return rules;
}
