import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  findDockerfiles,
  lintDockerfile,
  pinnedPnpmVersion,
  readRepoFile,
  repoRoot,
  STACK_FILES,
} from '../src/index.js';

let pnpmVersion: string;
let apiDockerfile: string;

beforeAll(async () => {
  pnpmVersion = await pinnedPnpmVersion();
  apiDockerfile = await readRepoFile('apps/ingest-api/Dockerfile');
});

describe('the Dockerfiles', () => {
  const found = findDockerfiles(repoRoot).filter((file) => existsSync(path.join(repoRoot, file)));

  it('are all found', () => {
    expect(found).toEqual(expect.arrayContaining([...STACK_FILES.dockerfiles]));
  });

  it.each(found)('%s passes the linter', async (file) => {
    expect(lintDockerfile(await readRepoFile(file), pnpmVersion)).toEqual([]);
  });

  it('build the API in one stage and run it from a slimmer one', () => {
    expect(apiDockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(apiDockerfile).toMatch(/^COPY --from=build /m);
  });
});

describe('the Dockerfile linter', () => {
  const lint = (content: string) => lintDockerfile(content, pnpmVersion);
  const replace = (from: string | RegExp, to: string) => {
    const changed = apiDockerfile.replace(from, to);
    expect(changed).not.toBe(apiDockerfile);
    return lint(changed);
  };
  const rules = (problems: { rule: string }[]) => problems.map((problem) => problem.rule);

  it('reports dockerfile-utils errors: an unknown instruction, a bad flag, a relative WORKDIR', () => {
    expect(rules(replace('WORKDIR /app', 'WORKDIR app'))).toEqual([
      'dockerfile-utils/WORKDIR_IS_NOT_ABSOLUTE',
    ]);
    expect(rules(replace('EXPOSE 3000', 'EXPOSE 3000\nEXPOSES 3001'))).toEqual([
      'dockerfile-utils/UNKNOWN_INSTRUCTION',
    ]);
    expect(rules(replace('COPY --from=build', 'COPY --form=build'))).toEqual([
      'dockerfile-utils/UNKNOWN_COPY_FLAG',
    ]);
  });

  it('fails on an unpinned base image', () => {
    expect(rules(replace(/^FROM node:\S+ AS build$/m, 'FROM node:20-bookworm-slim AS build'))).toEqual([
      'from-pinned',
    ]);
  });

  it('fails when the final stage runs as root', () => {
    expect(rules(replace('USER node', 'USER root'))).toEqual(['non-root']);
    expect(rules(replace('USER node\n', ''))).toEqual(['non-root']);
  });

  it('fails on apt-get install without --no-install-recommends or without removing the lists', () => {
    const problems = replace(
      'RUN npm i -g pnpm@',
      'RUN apt-get update && apt-get install -y curl\nRUN npm i -g pnpm@',
    );
    expect(rules(problems)).toEqual(['apt-no-recommends', 'apt-lists']);
  });

  it('fails when pnpm is not the version package.json pins', () => {
    expect(rules(replace(`pnpm@${pnpmVersion}`, 'pnpm@10'))).toEqual(['pnpm-version']);
    expect(rules(replace(`pnpm@${pnpmVersion}`, 'pnpm'))).toEqual(['pnpm-version']);
  });
});
