import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { RULE_CODES, RULE_ERROR_CODES, RULE_WARNING_CODES, severityOf } from './rule-result.js';

const dataRulesDoc = readFileSync(new URL('../../../../../../doc/data-rules.md', import.meta.url), 'utf8');

/** The rows of the code table: `| \`code\` | severity | …`. */
function documentedSeverities(): Map<string, string> {
  const rows = new Map<string, string>();
  for (const match of dataRulesDoc.matchAll(/^\| `([a-z0-9_]+)` \| (error|warning) \|/gm)) {
    rows.set(match[1] ?? '', match[2] ?? '');
  }
  return rows;
}

describe('rule codes', () => {
  it('are unique, snake_case, and each is either an error or a warning', () => {
    expect(new Set(RULE_CODES).size).toBe(RULE_CODES.length);
    expect(RULE_CODES.length).toBe(RULE_ERROR_CODES.length + RULE_WARNING_CODES.length);
    for (const code of RULE_CODES) expect(code).toMatch(/^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/);
    for (const code of RULE_ERROR_CODES) expect(severityOf(code)).toBe('error');
    for (const code of RULE_WARNING_CODES) expect(severityOf(code)).toBe('warning');
  });

  it('are each documented in doc/data-rules.md with their severity', () => {
    const documented = documentedSeverities();
    for (const code of RULE_CODES)
      expect({ code, severity: documented.get(code) }).toEqual({
        code,
        severity: severityOf(code),
      });
  });

  it('are all that doc/data-rules.md documents', () => {
    expect([...documentedSeverities().keys()].sort()).toEqual([...RULE_CODES].sort());
  });
});
