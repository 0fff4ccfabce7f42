import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const minimal = {
  DATABASE_URL: 'postgres://prospectflow_app:secret@127.0.0.1:6432/prospectflow',
  COGNITO_USER_POOL_ID: 'eu-west-3_AbCdEf123',
  COGNITO_CLIENT_ID: 'client-a, client-b',
};

describe('loadConfig', () => {
  it('applies defaults and parses lists', () => {
    const config = loadConfig(minimal);
    expect(config.port).toBe(3000);
    expect(config.cognito.clientIds).toEqual(['client-a', 'client-b']);
    expect(config.cognito.tokenUse).toBeNull();
    expect(config.redis.url).toBeNull();
    expect(Object.isFrozen(config.cognito.clientIds)).toBe(true);
  });

  it('names every problem at once', () => {
    let error: unknown;
    try {
      loadConfig({ PORT: 'eighty', COGNITO_TOKEN_USE: 'both', COGNITO_CLIENT_ID: 'x' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/^DATABASE_URL is required$/m);
    expect(problems).toMatch(/^COGNITO_USER_POOL_ID /m);
    expect(problems).toMatch(/^PORT /m);
    expect(problems).toMatch(/^COGNITO_TOKEN_USE /m);
  });

  it('refuses development conveniences in production', () => {
    expect(() =>
      loadConfig({
        ...minimal,
        NODE_ENV: 'production',
        COGNITO_JWKS_FILE: '/tmp/jwks.json',
        CORS_ORIGINS: '*',
      }),
    ).toThrow(
      /REDIS_URL is required in production[\s\S]*COGNITO_JWKS_FILE is refused[\s\S]*CORS_ORIGINS cannot be \*/,
    );
  });
});

describe('the README configuration table', () => {
  it('documents every variable the API reads', async () => {
    const { readFile } = await import('node:fs/promises');
    const readme = await readFile(new URL('../../../../../README.md', import.meta.url), 'utf8');
    const { CONFIG_VARIABLES } = await import('./config.js');
    const missing = CONFIG_VARIABLES.filter((name) => !readme.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });
});
