import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { deviceSpecSchema, type FortiGateDeviceSpec } from './fortigate-device.js';
import { mappingSpecSchema, type FortiGateEndpointMappingSpec } from './fortigate-endpoint-mapping.js';
import { fortiManagerTargetSpecSchema, type FortiManagerTargetSpec } from './fortimanager-target.js';
import type { JsonSchema, SpecProblem } from './schema-types.js';
import { celTwins } from './cel-twins.js';

// ajv-formats ships CommonJS with a default export that NodeNext sees as the module namespace.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

export type { SpecProblem };

export type SpecCheck<T> = { ok: true; spec: T } | { ok: false; problems: SpecProblem[] };

/** `T` with the fields `K` present: the schema gives each a default, applied by validation. */
export type WithDefaults<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: Exclude<T[P], undefined> };

/** Device spec fields the schema defaults (test/unit/api/validation.test.ts pins the list to it). */
export const DEVICE_DEFAULTED = [
  'vdom',
  'addressNamePrefix',
  'driftCheckIntervalSeconds',
  'maxConcurrentRequests',
  'deletionPolicy',
  'suspend',
  'dryRun',
  'insecurePlainHTTP',
] as const;
/** Mapping spec fields the schema defaults. */
export const MAPPING_DEFAULTED = [
  'addressType',
  'ipFamilies',
  'deletionPolicy',
  'suspend',
  'dryRun',
] as const;

/** FortiManagerTarget spec fields the schema defaults. */
export const FORTIMANAGER_TARGET_DEFAULTED = [
  'adom',
  'auth',
  'maxConcurrentRequests',
  'addressNamePrefix',
  'driftCheckIntervalSeconds',
  'deletionPolicy',
  'suspend',
  'dryRun',
] as const;

/** A device spec that passed validation, every schema default applied. */
export type ValidDeviceSpec = WithDefaults<FortiGateDeviceSpec, (typeof DEVICE_DEFAULTED)[number]>;
/** A FortiManagerTarget spec that passed validation, every schema default applied. */
export type ValidFortiManagerTargetSpec = WithDefaults<
  FortiManagerTargetSpec,
  (typeof FORTIMANAGER_TARGET_DEFAULTED)[number]
>;
/** A mapping spec that passed validation, every schema default applied. */
export type ValidMappingSpec = WithDefaults<FortiGateEndpointMappingSpec, (typeof MAPPING_DEFAULTED)[number]>;

function makeAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true, strictTypes: false });
  addFormats(ajv);
  // Kubernetes extensions: CEL rules are checked by their TypeScript twins below.
  for (const keyword of [
    'x-kubernetes-validations',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-map-type',
    'x-kubernetes-preserve-unknown-fields',
  ]) {
    ajv.addKeyword({ keyword });
  }
  return ajv;
}

const ajv = makeAjv();
const validators = new Map<JsonSchema, ValidateFunction>();

function validatorFor(schema: JsonSchema): ValidateFunction {
  let v = validators.get(schema);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(schema, v);
  }
  return v;
}

function describeAjvError(e: ErrorObject): SpecProblem {
  const path = 'spec' + e.instancePath.replace(/\//g, '.');
  if (e.keyword === 'additionalProperties') {
    return { path, message: `unknown field "${String(e.params.additionalProperty)}"` };
  }
  if (e.keyword === 'enum') {
    return {
      path,
      message: `must be one of ${(e.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
    };
  }
  if (e.keyword === 'pattern') {
    return { path, message: `must match ${String(e.params.pattern)}` };
  }
  return { path, message: e.message ?? e.keyword };
}

// Every device sync validates every mapping it reads from the informer cache. Cached objects are
// replaced, never changed, on update, so a result keyed on the spec object stays right.
const checked = new Map<JsonSchema, WeakMap<object, SpecCheck<unknown>>>();

/**
 * Checks a spec against the very schema the CRD carries (plus the CEL rules' twins), so an older
 * installed CRD cannot let a bad spec through. Applies schema defaults to a copy.
 */
function checkSpec<T>(schema: JsonSchema, spec: unknown): SpecCheck<T> {
  if (spec === null || typeof spec !== 'object') return validateSpec<T>(schema, spec);
  let bySpec = checked.get(schema);
  if (!bySpec) {
    bySpec = new WeakMap();
    checked.set(schema, bySpec);
  }
  let result = bySpec.get(spec);
  if (!result) {
    result = validateSpec<unknown>(schema, spec);
    bySpec.set(spec, result);
  }
  return result as SpecCheck<T>;
}

function validateSpec<T>(schema: JsonSchema, spec: unknown): SpecCheck<T> {
  const copy: unknown = structuredClone(spec ?? {});
  const validate = validatorFor(schema);
  const problems: SpecProblem[] = [];
  if (!validate(copy)) {
    problems.push(...(validate.errors ?? []).map(describeAjvError));
  }
  if (problems.length === 0) problems.push(...celTwins(schema, copy, 'spec'));
  return problems.length === 0 ? { ok: true, spec: copy as T } : { ok: false, problems };
}

export function checkDeviceSpec(spec: unknown): SpecCheck<ValidDeviceSpec> {
  return checkSpec<ValidDeviceSpec>(deviceSpecSchema, spec);
}

export function checkMappingSpec(spec: unknown): SpecCheck<ValidMappingSpec> {
  return checkSpec<ValidMappingSpec>(mappingSpecSchema, spec);
}

export function checkFortiManagerTargetSpec(spec: unknown): SpecCheck<ValidFortiManagerTargetSpec> {
  return checkSpec<ValidFortiManagerTargetSpec>(fortiManagerTargetSpecSchema, spec);
}

export function formatProblems(problems: SpecProblem[]): string {
  return problems.map((p) => `${p.path}: ${p.message}`).join('; ');
}
