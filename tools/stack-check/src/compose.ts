import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { findReferences, interpolate } from './interpolation.js';

/** One finding of a check: which rule, where in the document, and what is wrong. */
export interface Problem {
  rule: string;
  where: string;
  message: string;
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses a compose file as YAML 1.2 with merge keys (`<<: *anchor`), as `docker compose` does. */
export function parseCompose(source: string): JsonObject {
  const document: unknown = parse(source, { merge: true });
  if (!isObject(document)) throw new Error('a compose file must be a mapping');
  return document as JsonObject;
}

export async function readCompose(file: string): Promise<JsonObject> {
  return parseCompose(await readFile(file, 'utf8'));
}

const require = createRequire(import.meta.url);

/**
 * Where the Compose Specification's JSON schema comes from: `dclint` (docker-compose-linter, MIT) ships the
 * compose-spec project's `schema/compose-spec.json` (Apache-2.0) unchanged as `schemas/compose.schema.json`
 * and refreshes it in its releases. See doc/decisions/0070-deployable-stack-checks.md.
 */
export const COMPOSE_SCHEMA_FILE = path.join(
  path.dirname(require.resolve('dclint/package.json')),
  'schemas',
  'compose.schema.json',
);

let compiledSchema: ReturnType<Ajv['compile']> | null = null;

async function composeValidator(): Promise<ReturnType<Ajv['compile']>> {
  if (compiledSchema) return compiledSchema;
  const schema = JSON.parse(await readFile(COMPOSE_SCHEMA_FILE, 'utf8')) as { $schema?: string };
  // The schema names draft-07 by its https address; Ajv registers draft-07 under the http one. Registering the
  // same meta-schema under the schema's own address keeps the meta-validation of the schema itself.
  const draft07 = JSON.parse(
    await readFile(require.resolve('ajv/dist/refs/json-schema-draft-07.json'), 'utf8'),
  ) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  if (schema.$schema) ajv.addMetaSchema({ ...draft07, $id: schema.$schema });
  compiledSchema = ajv.compile(schema);
  return compiledSchema;
}

const describeSchemaError = (error: ErrorObject): Problem => ({
  rule: 'compose-spec',
  where: error.instancePath || '/',
  message:
    error.keyword === 'additionalProperties'
      ? `unknown key "${String(error.params['additionalProperty'])}"`
      : (error.message ?? error.keyword),
});

/** Validates a (interpolated) compose document against the Compose Specification's JSON schema. */
export async function checkComposeSchema(document: Json): Promise<Problem[]> {
  const validate = await composeValidator();
  if (validate(document)) return [];
  return (validate.errors ?? []).map(describeSchemaError);
}

function mapStrings(value: Json, map: (text: string) => string): Json {
  if (typeof value === 'string') return map(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, map));
  if (isObject(value)) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, mapStrings(item, map)]));
  }
  return value;
}

/**
 * The names of every variable the document interpolates, in any value.
 * @throws InterpolationError on a malformed expression.
 */
export function referencedVariables(document: Json): Set<string> {
  const names = new Set<string>();
  mapStrings(document, (text) => {
    for (const reference of findReferences(text)) names.add(reference.name);
    return text;
  });
  return names;
}

/**
 * The document as `docker compose` sees it once `env` is applied.
 * @throws InterpolationError when a required variable is missing.
 */
export function interpolateDocument(document: Json, env: ReadonlyMap<string, string>): Json {
  return mapStrings(document, (text) => interpolate(text, env));
}

const services = (document: Json): [string, JsonObject][] =>
  isObject(document) && isObject(document['services'])
    ? Object.entries(document['services']).filter((entry): entry is [string, JsonObject] =>
        isObject(entry[1]),
      )
    : [];

/** `name:tag@sha256:<64 hex>` with a tag that carries a version number (`15.19-bookworm`, `20.20.2-slim`). */
const PINNED_IMAGE = /^[a-z0-9][a-z0-9._/-]*:(?<tag>[A-Za-z0-9._-]+)@sha256:[0-9a-f]{64}$/;
const VERSIONED_TAG = /\d+\.\d+|\d{8}/;

/** Whether an image reference is pinned: a versioned tag for people, and a digest for the registry. */
export function isPinnedImage(reference: string): boolean {
  const match = PINNED_IMAGE.exec(reference);
  return match !== null && VERSIONED_TAG.test(match.groups?.['tag'] ?? '');
}

/**
 * Every service that pulls an image pins it by version tag and digest. A service that builds its image names
 * a local tag instead; its base images are pinned in its Dockerfile (see dockerfile.ts).
 */
export function checkImagesPinned(document: Json): Problem[] {
  const problems: Problem[] = [];
  for (const [name, service] of services(document)) {
    const image = service['image'];
    if (service['build'] !== undefined) continue;
    if (typeof image !== 'string') {
      problems.push({ rule: 'image-pinned', where: `services.${name}`, message: 'neither image nor build' });
    } else if (!isPinnedImage(image)) {
      problems.push({
        rule: 'image-pinned',
        where: `services.${name}.image`,
        message: `"${image}" is not pinned: use name:<version tag>@sha256:<digest>`,
      });
    }
  }
  return problems;
}

const LOOPBACK = '127.0.0.1';

/**
 * Every published port is bound to the loopback interface, so nothing is reachable from the network until an
 * operator puts a reverse proxy in front on purpose. The check reads the raw document: a host address that
 * comes from a variable could be anything, so it must be written literally.
 */
export function checkPortsLocal(document: Json): Problem[] {
  const problems: Problem[] = [];
  for (const [name, service] of services(document)) {
    if (service['network_mode'] === 'host') {
      problems.push({
        rule: 'ports-local',
        where: `services.${name}.network_mode`,
        message: 'network_mode: host publishes every port on every interface',
      });
    }
    const ports = service['ports'];
    if (ports === undefined) continue;
    if (!Array.isArray(ports)) {
      problems.push({
        rule: 'ports-local',
        where: `services.${name}.ports`,
        message: 'ports must be a list',
      });
      continue;
    }
    ports.forEach((port, index) => {
      const where = `services.${name}.ports[${index}]`;
      if (typeof port === 'string') {
        if (!port.startsWith(`${LOOPBACK}:`)) {
          problems.push({ rule: 'ports-local', where, message: `"${port}" is not bound to ${LOOPBACK}` });
        }
      } else if (isObject(port)) {
        if (port['published'] !== undefined && port['host_ip'] !== LOOPBACK) {
          problems.push({ rule: 'ports-local', where, message: `host_ip must be ${LOOPBACK}` });
        }
      } else {
        problems.push({ rule: 'ports-local', where, message: `${String(port)} is not bound to ${LOOPBACK}` });
      }
    });
  }
  return problems;
}

/** Commands that always succeed, or that hide a failing probe behind one. */
const TRIVIAL_TEST = /^\s*(?:true|:|\/bin\/true|exit\s+0|echo\b.*)\s*$/;
const MASKED_FAILURE = /\|\|\s*(?:true|:|exit\s+0)\b|;\s*(?:true|exit\s+0)\s*$/;

function healthcheckCommand(test: Json | undefined): string | null {
  if (typeof test === 'string') return test;
  if (Array.isArray(test) && test.every((part) => typeof part === 'string')) {
    const [kind, ...rest] = test as string[];
    if (kind === 'NONE') return null;
    return rest.join(' ');
  }
  return null;
}

/** A one-shot service: it runs to completion and others wait for `service_completed_successfully`. */
function isOneShot(name: string, document: Json): boolean {
  return services(document).some(([, service]) => {
    const dependsOn = service['depends_on'];
    return (
      isObject(dependsOn) &&
      isObject(dependsOn[name]) &&
      dependsOn[name]['condition'] === 'service_completed_successfully'
    );
  });
}

/**
 * Every long-running service has a health check that exercises the service itself: not disabled, not a
 * command that cannot fail, and matching the probe expected for that service (`probes`, keyed by service
 * name). A service missing from `probes` is a finding too, so a new service needs a deliberate probe.
 */
export function checkHealthchecks(document: Json, probes: Readonly<Record<string, RegExp>>): Problem[] {
  const problems: Problem[] = [];
  for (const [name, service] of services(document)) {
    const where = `services.${name}.healthcheck`;
    if (isOneShot(name, document)) continue;
    const healthcheck = service['healthcheck'];
    if (!isObject(healthcheck) || healthcheck['disable'] === true) {
      problems.push({ rule: 'healthcheck', where, message: 'a long-running service needs a health check' });
      continue;
    }
    const command = healthcheckCommand(healthcheck['test']);
    if (command === null) {
      problems.push({ rule: 'healthcheck', where, message: 'the health check runs nothing' });
      continue;
    }
    if (TRIVIAL_TEST.test(command) || MASKED_FAILURE.test(command)) {
      problems.push({ rule: 'healthcheck', where, message: `"${command}" cannot fail, so it tests nothing` });
      continue;
    }
    const probe = probes[name];
    if (!probe) {
      problems.push({
        rule: 'healthcheck',
        where,
        message: `no expected probe is known for service "${name}"`,
      });
    } else if (!probe.test(command)) {
      problems.push({
        rule: 'healthcheck',
        where,
        message: `"${command}" does not probe ${name} (${String(probe)})`,
      });
    }
  }
  return problems;
}
