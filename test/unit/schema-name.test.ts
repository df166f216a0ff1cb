import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertValidSchemaName, generateSchemaName, quoteIdent } from '../../src/tenancy/schema-name.ts';

describe('schema names', () => {
  it('generates ten lowercase letters', () => {
    for (let i = 0; i < 50; i++) {
      const name = generateSchemaName();
      assert.match(name, /^[a-z]{10}$/);
      assert.doesNotThrow(() => assertValidSchemaName(name));
    }
  });

  it('quotes identifiers, doubling quotes', () => {
    assert.equal(quoteIdent('af'), '"af"');
    assert.equal(quoteIdent('a"b'), '"a""b"');
  });

  it('accepts underscores and digits after the first character', () => {
    for (const name of ['af', '_af', 'af_2026', 'a'.repeat(63)]) assert.doesNotThrow(() => assertValidSchemaName(name), name);
  });
});
