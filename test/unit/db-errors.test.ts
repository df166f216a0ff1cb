import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uniqueViolation } from '../../src/db/db-errors.ts';

/** Errors as the `pg` driver hands them over, with the fields each server sends. */
const violation = (fields: { message: string; constraint?: string; table?: string }) => Object.assign(new Error(fields.message), { code: '23505', ...fields });

describe('reading unique violations', () => {
  it('gives the constraint that PostgreSQL names', () => {
    const error = violation({ message: 'duplicate key value violates unique constraint "user_email_key"', constraint: 'user_email_key', table: 'user' });
    assert.equal(uniqueViolation(error), 'user_email_key');
  });

  it('keeps digits that belong to the name on plain PostgreSQL', () => {
    const error = violation({ message: 'duplicate key value violates unique constraint "code_2026"', constraint: 'code_2026', table: 'item' });
    assert.equal(uniqueViolation(error), 'code_2026');
  });

  it('drops the shard id Citus appends when the shard ran on the coordinator', () => {
    const error = violation({
      message: 'duplicate key value violates unique constraint "organization_live_shortcode_key_102008"',
      constraint: 'organization_live_shortcode_key_102008',
      table: 'organization_102008',
    });
    assert.equal(uniqueViolation(error), 'organization_live_shortcode_key');
  });

  it('reads the constraint from the message when a worker reported it without fields', () => {
    // As measured on Citus 13.2: a violation on a worker keeps only the message, the detail and the code.
    const error = violation({ message: 'duplicate key value violates unique constraint "user_email_key_102009"' });
    assert.equal(uniqueViolation(error), 'user_email_key');
  });

  it("answers '' for a unique violation that names no constraint, and undefined for other errors", () => {
    assert.equal(uniqueViolation(violation({ message: 'duplicate key value' })), '');
    assert.equal(uniqueViolation(Object.assign(new Error('x'), { code: '23503', constraint: 'a_fkey' })), undefined);
    assert.equal(uniqueViolation(null), undefined);
  });
});
