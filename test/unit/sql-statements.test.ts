import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrations } from '../../src/migrations/index.ts';
import { splitStatements } from '../../src/tenancy/sql-statements.ts';

describe('splitting a migration script into statements', () => {
  it('splits on semicolons, trimming and dropping empty statements', () => {
    assert.deepEqual(splitStatements('create table a (id int);\n\n create index on a (id) ;;\n'), ['create table a (id int)', 'create index on a (id)']);
  });

  it('keeps semicolons inside strings, quoted identifiers and comments', () => {
    const script = `insert into t values ('a;b', 'it''s; fine', E'x\\'; y');
select 1 as "semi;colon";
-- a comment; still a comment
select 2 /* block; /* nested; */ still; */ + 3`;
    assert.deepEqual(splitStatements(script), [
      `insert into t values ('a;b', 'it''s; fine', E'x\\'; y')`,
      'select 1 as "semi;colon"',
      '-- a comment; still a comment\nselect 2 /* block; /* nested; */ still; */ + 3',
    ]);
  });

  it('keeps dollar-quoted bodies whole, with or without a tag', () => {
    const script = `create function f() returns int language plpgsql as $$ begin return 1; end $$;
do $body$ begin perform 1; raise notice '$$;'; end $body$;
select $1::int, a$b from t`;
    assert.deepEqual(splitStatements(script), [
      'create function f() returns int language plpgsql as $$ begin return 1; end $$',
      "do $body$ begin perform 1; raise notice '$$;'; end $body$",
      'select $1::int, a$b from t',
    ]);
  });

  it('splits every released migration into statements that each parse alone', () => {
    for (const migration of [...migrations.shared, ...migrations.tenant]) {
      const statements = splitStatements(migration.sql);
      assert.ok(statements.length > 0, migration.name);
      for (const statement of statements) assert.doesNotMatch(statement, /;\s*$/, migration.name);
    }
    const retention = splitStatements(migrations.tenant.find((m) => m.name === '0002-session-retention-reach')!.sql);
    assert.equal(retention.length, 4); // alter table, create function (its body whole), create trigger, update
    assert.match(retention[1]!, /^create function[\s\S]*end\n\$\$$/);
  });
});
