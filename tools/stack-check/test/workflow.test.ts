import { beforeAll, describe, expect, it } from 'vitest';
import { checkWorkflow, readRepoFile, STACK_FILES } from '../src/index.js';

let workflow: string;
let ciRun: string;

beforeAll(async () => {
  workflow = await readRepoFile(STACK_FILES.workflow);
  ciRun = await readRepoFile(STACK_FILES.ciRun);
});

const rules = (source: string) => checkWorkflow(source).map((problem) => `${problem.rule} ${problem.where}`);
const changed = (from: string | RegExp, to: string) => {
  const result = workflow.replace(from, to);
  expect(result).not.toBe(workflow);
  return result;
};

describe('.github/workflows/ci.yml', () => {
  it('runs .ci/run and nothing else that checks, with actions pinned to commit SHAs', () => {
    expect(checkWorkflow(workflow)).toEqual([]);
  });

  it('and .ci/run runs the README test command with the static checks (npm run check)', () => {
    expect(ciRun.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'))).toEqual([
      'set -euo pipefail',
      'cd "$(dirname "$0")/.."',
      'npm run check',
    ]);
  });

  it('fails on an action pinned to a tag, a short SHA, or a SHA without its tag', () => {
    expect(rules(changed(/actions\/checkout@[0-9a-f]{40} # v\S+/, 'actions/checkout@v7'))).toEqual([
      'action-pinned line ' +
        String(workflow.split('\n').findIndex((line) => line.includes('actions/checkout@')) + 1),
    ]);
    expect(rules(changed(/(actions\/setup-node@[0-9a-f]{12})[0-9a-f]{28}/, '$1'))).toHaveLength(1);
    expect(rules(changed(/(actions\/setup-node@[0-9a-f]{40}) # v\S+/, '$1'))).toHaveLength(1);
  });

  it('fails when a step runs a check outside .ci/run, or when .ci/run is not the last step', () => {
    const extraStep = changed(
      '      - run: bash .ci/run',
      '      - run: npx vitest run\n      - run: bash .ci/run',
    );
    expect(rules(extraStep)).toEqual([expect.stringMatching(/^ci-run jobs\.check\.steps\[\d+\]$/)]);
    const other = changed('      - run: bash .ci/run', '      - run: npm test');
    expect(rules(other)).toEqual(['ci-run jobs.check']);
  });

  it('fails on a service container that is not pinned', () => {
    expect(rules(changed(/image: postgres:\S+/, 'image: postgres:15'))).toEqual([
      'image-pinned jobs.check.services.postgres',
    ]);
  });
});
