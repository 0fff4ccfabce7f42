import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../support/app.js';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});

/** Every route Express actually serves, as "METHOD /path/{param}". */
function expressRoutes(app: TestApi['service']['app']): string[] {
  const found: string[] = [];
  const walk = (stack: unknown[], prefix: string) => {
    for (const layer of stack as {
      route?: { path: string; methods: Record<string, boolean> };
      handle?: { stack?: unknown[] };
      name?: string;
      matchers?: unknown;
    }[]) {
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          found.push(
            `${method.toUpperCase()} ${prefix}${layer.route.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`,
          );
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, prefix);
      }
    }
  };
  const router = (app as unknown as { router: { stack: unknown[] } }).router;
  for (const layer of router.stack as { handle?: { stack?: unknown[] } }[]) {
    if (layer.handle?.stack) {
      const isV1 = (layer.handle.stack as { route?: { path: string } }[]).some(
        (l) => l.route?.path === '/me',
      );
      walk(layer.handle.stack, isV1 ? '/api/v1' : '');
    }
  }
  return found.filter((route) => !route.includes('/docs/')).sort();
}

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const res = await request(api.service.app).get('/openapi.json').expect(200);
    expect(res.body.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(res.body))).resolves.toBeTruthy();
  });

  it('lists every route the app serves', async () => {
    const res = await request(api.service.app).get('/openapi.json').expect(200);
    const documented = Object.entries(res.body.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    const served = expressRoutes(api.service.app);
    expect(served.length).toBeGreaterThanOrEqual(14);
    expect(documented).toEqual(served);
  });

  it('renders the reference at /docs from local assets', async () => {
    const page = await request(api.service.app).get('/docs').expect(200);
    expect(page.text).toContain('/docs/assets/swagger-ui-bundle.js');
    await request(api.service.app)
      .get('/docs/assets/swagger-ui-bundle.js')
      .expect(200)
      .expect('Content-Type', /javascript/);
  });
});
