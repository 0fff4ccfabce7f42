import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkDocumented,
  checkEnvExample,
  findReferences,
  interpolate,
  InterpolationError,
  interpolateDocument,
  parseCompose,
  parseEnvFile,
  readRepoFile,
  referencedVariables,
  STACK_FILES,
  type EnvEntry,
} from '../src/index.js';

let composeSource: string;
let entries: EnvEntry[];
let readme: string;

beforeAll(async () => {
  composeSource = await readRepoFile(STACK_FILES.compose);
  const parsed = parseEnvFile(await readRepoFile(STACK_FILES.envExample));
  expect(parsed.problems).toEqual([]);
  entries = parsed.entries;
  readme = await readRepoFile(STACK_FILES.readme);
});

describe('interpolation', () => {
  const env = new Map([
    ['SET', 'value'],
    ['EMPTY', ''],
  ]);

  it('follows the Compose Specification for every operator', () => {
    expect(interpolate('${SET:-d} ${EMPTY:-d} ${UNSET:-d}', env)).toBe('value d d');
    expect(interpolate('${SET-d} ${EMPTY-d} ${UNSET-d}', env)).toBe('value  d');
    expect(interpolate('${SET:+r} ${EMPTY:+r} ${SET+r} ${EMPTY+r} ${UNSET+r}', env)).toBe('r  r r ');
    expect(interpolate('$SET ${SET} $$SET $${SET} ${UNSET}', env)).toBe('value value $SET ${SET} ');
    expect(() => interpolate('${EMPTY:?needed}', env)).toThrow(InterpolationError);
    expect(() => interpolate('${UNSET?needed}', env)).toThrow(InterpolationError);
    expect(interpolate('${EMPTY?needed}', env)).toBe('');
  });

  it('refuses what it does not understand rather than guessing', () => {
    expect(() => findReferences('${A:-${B}}')).toThrow(/nested/);
    expect(() => findReferences('${1A}')).toThrow(InterpolationError);
  });
});

describe('infra/.env.example', () => {
  it('lists exactly the variables the compose file reads, with placeholders for every credential', () => {
    const referenced = referencedVariables(parseCompose(composeSource));
    expect(referenced.size).toBeGreaterThan(5);
    expect(checkEnvExample(entries, referenced)).toEqual([]);
  });

  it('satisfies every required variable of the compose file', () => {
    const env = new Map(entries.map((entry) => [entry.name, entry.value]));
    expect(() => interpolateDocument(parseCompose(composeSource), env)).not.toThrow();
  });

  it('fails when the compose file reads a variable the example does not list', () => {
    const changed = composeSource.replace(
      'LOG_LEVEL: ${LOG_LEVEL:-info}',
      'LOG_LEVEL: ${PF_LOG_LEVEL:-info}',
    );
    expect(changed).not.toBe(composeSource);
    const problems = checkEnvExample(entries, referencedVariables(parseCompose(changed)));
    expect(problems.map((problem) => problem.message)).toEqual([
      'PF_LOG_LEVEL is read by the compose file but not listed',
      'LOG_LEVEL is listed but the compose file never reads it',
    ]);
  });

  it.each([
    ['a real-looking password', 'REDIS_PASSWORD', 'Xk9#mQ2vL8pR4tZ7'],
    ['an empty credential', 'POSTGRES_PASSWORD', ''],
    [
      'a secret with change-me inside it',
      'TRACKING_VISITOR_SECRET',
      'not-change-me-a1b2c3d4e5f6a7b8c9d0e1f2',
    ],
  ])('fails on %s', (_case, name, value) => {
    const changed = entries.map((entry) => (entry.name === name ? { ...entry, value } : entry));
    const referenced = new Set(entries.map((entry) => entry.name));
    expect(checkEnvExample(changed, referenced)).toEqual([
      expect.objectContaining({ rule: 'env-no-secret', message: expect.stringContaining(name) as string }),
    ]);
  });

  it('rejects lines compose would read differently than a person does', () => {
    const { problems } = parseEnvFile('export REDIS_PASSWORD=change-me\nLOG_LEVEL = info\nA=1\nA=2\n');
    expect(problems.map((problem) => problem.where)).toEqual(['line 1', 'line 2', 'line 4']);
  });
});

describe('the README', () => {
  it('documents every variable the compose file reads', () => {
    expect(checkDocumented(referencedVariables(parseCompose(composeSource)), readme, 'README.md')).toEqual(
      [],
    );
  });

  it('fails for a variable it does not mention', () => {
    expect(checkDocumented(['API_HOST_PORT', 'PF_UNDOCUMENTED'], readme, 'README.md')).toEqual([
      expect.objectContaining({ where: 'PF_UNDOCUMENTED' }),
    ]);
  });

  it('says which parts of the stack were run and which were only validated', () => {
    expect(readme).toMatch(/only validated/i);
  });
});
