import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkComposeSchema,
  checkHealthchecks,
  checkImagesPinned,
  checkPortsLocal,
  interpolateDocument,
  parseCompose,
  parseEnvFile,
  readRepoFile,
  STACK_FILES,
  type Json,
} from '../src/index.js';

/** The probe each service's health check must run: the service's own protocol, not a process check. */
const PROBES: Record<string, RegExp> = {
  postgres: /^pg_isready\b.*-h 127\.0\.0\.1/,
  pgbouncer: /^pg_isready\b.*-p 6432/,
  redis: /^redis-cli\b.*\bping\b/,
  api: /fetch\('http:\/\/127\.0\.0\.1:3000\/health\/(?:live|ready)'\)/,
  worker: /statSync\('\/tmp\/worker-heartbeat'\)/,
};

type Doc = { [key: string]: Json };
let compose: Doc;
let exampleEnv: Map<string, string>;

/** A deep copy of the real compose document with one change, for the negative cases. */
function withChange(change: (services: Record<string, Record<string, Json>>, document: Doc) => void): Doc {
  const copy = structuredClone(compose);
  change(copy['services'] as Record<string, Record<string, Json>>, copy);
  return copy;
}

beforeAll(async () => {
  compose = parseCompose(await readRepoFile(STACK_FILES.compose));
  const { entries } = parseEnvFile(await readRepoFile(STACK_FILES.envExample));
  exampleEnv = new Map(entries.map((entry) => [entry.name, entry.value]));
});

describe('infra/docker-compose.yaml against the Compose Specification', () => {
  it('is valid once infra/.env.example is applied', async () => {
    expect(await checkComposeSchema(interpolateDocument(compose, exampleEnv))).toEqual([]);
  });

  it('keeps the top-level name: key (valid in the specification, refused by docker-compose 1.x)', () => {
    expect(compose['name']).toBe('prospectflow');
  });

  it('fails on a misspelt key, a wrong type and an unknown dependency condition', async () => {
    const broken = withChange((services) => {
      (services['api'] as Doc)['helthcheck'] = { test: ['CMD', 'true'] };
      (services['redis'] as Doc)['restart'] = 3;
      ((services['worker'] as Doc)['depends_on'] as Doc)['redis'] = { condition: 'service_ready' };
    });
    const problems = await checkComposeSchema(interpolateDocument(broken, exampleEnv));
    expect(problems).toContainEqual(
      expect.objectContaining({ where: '/services/api', message: 'unknown key "helthcheck"' }),
    );
    expect(problems).toContainEqual(expect.objectContaining({ where: '/services/redis/restart' }));
    expect(problems).toContainEqual(
      expect.objectContaining({ where: '/services/worker/depends_on/redis/condition' }),
    );
  });

  it('fails on a top-level key the specification does not have', async () => {
    const broken = withChange((_services, document) => {
      document['service'] = {};
    });
    expect(await checkComposeSchema(broken)).toContainEqual(
      expect.objectContaining({ where: '/', message: 'unknown key "service"' }),
    );
  });
});

describe('images', () => {
  it('are pinned by version tag and digest wherever a service pulls one', () => {
    expect(checkImagesPinned(compose)).toEqual([]);
  });

  it.each([
    ['a floating major tag', 'postgres:15'],
    ['latest', 'postgres:latest'],
    ['a version tag without digest', 'postgres:15.19-bookworm'],
    ['a digest under a floating tag', `postgres:15-bookworm@sha256:${'a'.repeat(64)}`],
    ['a truncated digest', 'postgres:15.19-bookworm@sha256:539ceaaae49b'],
    ['no tag at all', 'postgres'],
  ])('fails on %s', (_case, image) => {
    const broken = withChange((services) => {
      (services['postgres'] as Doc)['image'] = image;
    });
    expect(checkImagesPinned(broken)).toEqual([
      expect.objectContaining({ where: 'services.postgres.image' }),
    ]);
  });

  it('gives the worker the same image and build as the API, running dist/worker.js', () => {
    const services = compose['services'] as Record<string, Doc>;
    const api = services['api'] as Doc;
    const worker = services['worker'] as Doc;
    expect(worker['image']).toBe(api['image']);
    expect(worker['build']).toEqual(api['build']);
    expect(api['build']).toEqual({ context: '..', dockerfile: 'apps/ingest-api/Dockerfile' });
    expect(worker['command']).toEqual(['node', 'dist/worker.js']);
    expect(worker['ports']).toBeUndefined();
    const apiEnv = api['environment'] as Doc;
    const workerEnv = worker['environment'] as Doc;
    for (const name of [
      'NODE_ENV',
      'DATABASE_URL',
      'REDIS_URL',
      'COGNITO_USER_POOL_ID',
      'TRACKING_VISITOR_SECRET',
    ]) {
      expect(workerEnv[name], name).toBe(apiEnv[name]);
    }
  });
});

describe('published ports', () => {
  it('are bound to 127.0.0.1', () => {
    expect(checkPortsLocal(compose)).toEqual([]);
  });

  it.each([
    ['no host address', '3000:3000'],
    ['every interface', '0.0.0.0:3000:3000'],
    ['a container port alone', '3000'],
    ['a host address from a variable', '${API_BIND:-127.0.0.1}:3000:3000'],
  ])('fails on %s', (_case, port) => {
    const broken = withChange((services) => {
      (services['api'] as Doc)['ports'] = [port];
    });
    expect(checkPortsLocal(broken)).toEqual([expect.objectContaining({ where: 'services.api.ports[0]' })]);
  });

  it('fails on the long syntax without host_ip, and on host networking', () => {
    const broken = withChange((services) => {
      (services['api'] as Doc)['ports'] = [{ target: 3000, published: '3000' }];
      (services['redis'] as Doc)['network_mode'] = 'host';
    });
    expect(checkPortsLocal(broken).map((problem) => problem.where)).toEqual([
      'services.redis.network_mode',
      'services.api.ports[0]',
    ]);
  });
});

describe('health checks', () => {
  it('exist on every long-running service and probe the service itself', () => {
    expect(checkHealthchecks(compose, PROBES)).toEqual([]);
  });

  it.each([
    ['a missing health check', undefined],
    ['a disabled health check', { disable: true }],
    ['NONE', { test: ['NONE'] }],
    ['true', { test: ['CMD', 'true'] }],
    ['exit 0', { test: 'exit 0' }],
    ['a probe whose failure is masked', { test: ['CMD-SHELL', 'pg_isready -h 127.0.0.1 -p 6432 || exit 0'] }],
    ['a probe of another service', { test: ['CMD-SHELL', 'redis-cli -h redis ping'] }],
  ])('fails on %s', (_case, healthcheck) => {
    const broken = withChange((services) => {
      if (healthcheck === undefined) delete (services['pgbouncer'] as Doc)['healthcheck'];
      else (services['pgbouncer'] as Doc)['healthcheck'] = healthcheck;
    });
    expect(checkHealthchecks(broken, PROBES)).toEqual([
      expect.objectContaining({ where: 'services.pgbouncer.healthcheck' }),
    ]);
  });

  it('fails on a new service nobody chose a probe for', () => {
    const broken = withChange((services) => {
      services['mailer'] = {
        image: `mailer:1.2.3@sha256:${'b'.repeat(64)}`,
        healthcheck: { test: ['CMD', 'mailer', '--check'] },
      };
    });
    expect(checkHealthchecks(broken, PROBES)).toEqual([
      expect.objectContaining({ message: 'no expected probe is known for service "mailer"' }),
    ]);
  });

  it('lets the one-shot migration go without one, and only it', () => {
    const broken = withChange((services) => {
      delete ((services['pgbouncer'] as Doc)['depends_on'] as Doc)['migrate'];
    });
    expect(checkHealthchecks(broken, PROBES)).toEqual([
      expect.objectContaining({ where: 'services.migrate.healthcheck' }),
    ]);
  });
});
