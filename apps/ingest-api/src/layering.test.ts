import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = path.dirname(fileURLToPath(import.meta.url));

async function sources(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** Where each relative import of a file lands, as a path under src/. */
async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map(
    (match) => match[1] as string,
  );
  return targets.map((target) => path.relative(src, path.resolve(path.dirname(file), target)));
}

describe('layering of src/ (doc/architecture.md, "Entry points and wiring")', () => {
  it('platform/ never imports a component, the app, the runtime or an entry point', async () => {
    const upward: string[] = [];
    for (const file of await sources(path.join(src, 'platform'))) {
      for (const target of await importsOf(file)) {
        if (!target.startsWith(`platform${path.sep}`)) upward.push(`${path.relative(src, file)} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('components never import the runtime or an entry point', async () => {
    const upward: string[] = [];
    for (const file of await sources(path.join(src, 'components'))) {
      for (const target of await importsOf(file)) {
        if (/^(runtime|server|worker|app)\.js$/.test(target))
          upward.push(`${path.relative(src, file)} → ${target}`);
      }
    }
    expect(upward).toEqual([]);
  });
});
