import { describe, expect, it } from 'vitest';
import { beginStatement } from './transaction.js';

describe('beginStatement', () => {
  it('begins and sets the three settings transaction-locally in one statement', () => {
    const text = beginStatement({
      organisationId: '3F2504E0-4F89-11D3-9A0C-0305E82C3301',
      userId: null,
      correlationId: 'req-1',
      statementTimeoutMs: 5000,
    });
    expect(text).toBe(
      "BEGIN; SELECT set_config('app.organisation_id', '3f2504e0-4f89-11d3-9a0c-0305e82c3301', true), " +
        "set_config('app.user_id', '', true), set_config('app.correlation_id', 'req-1', true), " +
        "set_config('statement_timeout', '5000', true)",
    );
  });

  it('escapes the correlation id and refuses anything but a uuid for the ids', () => {
    expect(beginStatement({ correlationId: "x'); DROP TABLE crm.companies; --" })).toContain(
      "set_config('app.correlation_id', 'x''); DROP TABLE crm.companies; --', true)",
    );
    expect(() => beginStatement({ organisationId: "' OR true --" })).toThrow(TypeError);
    expect(() => beginStatement({ userId: 'not-a-uuid' })).toThrow(TypeError);
    expect(() => beginStatement({ statementTimeoutMs: -1 })).toThrow(TypeError);
  });

  it('sets the summary audit mode only from the allow-list, and only for an import', () => {
    const importId = '3f2504e0-4f89-11d3-9a0c-0305e82c3302';
    expect(beginStatement({ importId, auditMode: 'summary' })).toContain(
      `set_config('app.import_id', '${importId}', true), set_config('app.audit_mode', 'summary', true)`,
    );
    expect(beginStatement({ importId, auditMode: 'full' })).not.toContain('app.audit_mode');
    expect(() => beginStatement({ auditMode: 'summary' })).toThrow(TypeError);
    expect(() =>
      beginStatement({ importId, auditMode: "summary', true), set_config('x" as 'summary' }),
    ).toThrow(TypeError);
  });
});
