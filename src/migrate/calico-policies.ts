import { evaluateCalicoSelector } from './calico-evaluate.js';
import { parseCalicoSelector, SelectorSyntaxError, type CalicoSelector } from './calico-selector.js';

/** The two APIs a GlobalNetworkPolicy is read from: Calico's API server, or its CRD storage. */
export const CALICO_V3 = { group: 'projectcalico.org', version: 'v3' } as const;
export const CALICO_CRD_V1 = { group: 'crd.projectcalico.org', version: 'v1' } as const;
export const GNP_KIND = 'GlobalNetworkPolicy';
export const GNP_PLURAL = 'globalnetworkpolicies';
export const TIER_LABEL = 'projectcalico.org/tier';

/** What the migration needs of one GlobalNetworkPolicy. */
export interface CalicoPolicy {
  name: string;
  tier: string;
  labels: Record<string, string>;
  selector: string;
  namespaceSelector?: string;
  serviceAccountSelector?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

/** True for a GlobalNetworkPolicy of either API. */
export function isGlobalNetworkPolicy(object: unknown): boolean {
  if (!isRecord(object) || object.kind !== GNP_KIND) return false;
  return (
    object.apiVersion === `${CALICO_V3.group}/${CALICO_V3.version}` ||
    object.apiVersion === `${CALICO_CRD_V1.group}/${CALICO_CRD_V1.version}`
  );
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** The fields the migration reads; the tier defaults to `default`, as in Calico. */
export function toCalicoPolicy(object: Record<string, unknown>): CalicoPolicy {
  const metadata = isRecord(object.metadata) ? object.metadata : {};
  const spec = isRecord(object.spec) ? object.spec : {};
  const labels = isRecord(metadata.labels)
    ? Object.fromEntries(
        Object.entries(metadata.labels).filter((e): e is [string, string] => typeof e[1] === 'string'),
      )
    : {};
  const namespaceSelector = optionalString(spec.namespaceSelector);
  const serviceAccountSelector = optionalString(spec.serviceAccountSelector);
  return {
    name: String(metadata.name ?? ''),
    tier: optionalString(spec.tier) ?? 'default',
    labels,
    selector: typeof spec.selector === 'string' ? spec.selector : '',
    ...(namespaceSelector ? { namespaceSelector } : {}),
    ...(serviceAccountSelector ? { serviceAccountSelector } : {}),
  };
}

/**
 * Tigera's controller lists policies with `tigera.firewall.policy.selector` as a Kubernetes label
 * selector over the policies' labels, after deleting every `'` from it. Both that form
 * (`projectcalico.org/tier == default`, `a in (x,y)`, `a,b`) and Calico's quoted form are read
 * here into one Calico AST.
 */
export function parsePolicySelector(text: string): CalicoSelector {
  try {
    return parseCalicoSelector(text);
  } catch (err) {
    if (!(err instanceof SelectorSyntaxError)) throw err;
    return parseKubernetesSelectorString(text.replaceAll("'", ''));
  }
}

const K8S_TERM =
  /^\s*(!)?\s*([A-Za-z0-9_./-]+)\s*(?:(==|=|!=)\s*([A-Za-z0-9_.-]*)|\s(in|notin)\s*\(([^)]*)\))?\s*$/;

/** Kubernetes' label selector string syntax (apimachinery labels.Parse), comma = AND. */
function parseKubernetesSelectorString(text: string): CalicoSelector {
  const terms = splitTopLevel(text).map((term): CalicoSelector => {
    const m = K8S_TERM.exec(term);
    if (!m)
      throw new SelectorSyntaxError(`cannot read ${JSON.stringify(term)} as a Calico or Kubernetes selector`);
    const [, bang, key, op, value, setOp, set] = m as unknown as (string | undefined)[];
    const k = key as string;
    if (op) {
      if (bang) throw new SelectorSyntaxError(`unexpected ! before ${k}${op}`);
      return { kind: op === '!=' ? 'ne' : 'eq', key: k, value: value ?? '' };
    }
    if (setOp) {
      if (bang) throw new SelectorSyntaxError(`unexpected ! before ${k} ${setOp}`);
      const values = [
        ...new Set(
          (set ?? '')
            .split(',')
            .map((v) => v.trim())
            .filter((v) => v !== ''),
        ),
      ].sort();
      return { kind: setOp === 'in' ? 'in' : 'notIn', key: k, values };
    }
    const has: CalicoSelector = { kind: 'has', key: k };
    return bang ? { kind: 'not', operand: has } : has;
  });
  return terms.length === 1 ? (terms[0] as CalicoSelector) : { kind: 'and', operands: terms };
}

function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

/**
 * Whether the controller's policy selector picks a policy. A policy read from CRD storage or a
 * file may lack the tier label Calico's API server shows, so it is derived from `spec.tier`.
 */
export function policySelected(selector: CalicoSelector, policy: CalicoPolicy): boolean {
  const labels = { [TIER_LABEL]: policy.tier, ...policy.labels };
  return evaluateCalicoSelector(selector, labels);
}
