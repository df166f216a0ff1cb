import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { retentionFacts } from '../../src/learning/retention-facts.ts';

// The cases tenant migration 0002's trigger computed, which the write path now computes.
describe('the retention facts stored with a session', () => {
  it('counts the seconds and finds the last non-zero count', () => {
    assert.deepEqual(retentionFacts('0,1,1,0'), { retention_seconds: 4, retention_reach: 3 });
    assert.deepEqual(retentionFacts('0,10,0,100'), { retention_seconds: 4, retention_reach: 4 });
    assert.deepEqual(retentionFacts('7'), { retention_seconds: 1, retention_reach: 1 });
  });

  it('reaches 0 when every count is zero, however written', () => {
    assert.deepEqual(retentionFacts('0,0,00,000'), { retention_seconds: 4, retention_reach: 0 });
  });

  it('says nothing for a string that is not a list of counts', () => {
    for (const retention of ['', 'NaN,NaN', '1,,1', ',1', '1,', '1, 2', '-1', '1.5'])
      assert.deepEqual(retentionFacts(retention), { retention_seconds: null, retention_reach: null }, retention);
  });
});
