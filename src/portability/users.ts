/**
 * Users in an archive: written by identity, matched or created on import.
 *
 * An archive carries every user its organization names (members, creators,
 * learners) with their profile, but never a password hash, the superuser
 * flag or the last login: an archive is handed around, and those belong to
 * the installation. A user is matched on the importing installation by
 * email, else by SSO `unique_id` within its organization, else by mobile;
 * users with no match are created (without a password: they sign in by OTP,
 * SSO or Google).
 */
import { sql } from 'kysely';
import type { SqlExecutor } from '../tenancy/migration.ts';
import { tableColumns } from './catalog.ts';

/** Columns an archive never carries (see above). */
const WITHHELD = ['password', 'is_superuser', 'last_login'] as const;

/**
 * A user's archive line: the row without the withheld columns, and
 * `auth_org` naming its SSO organization by shortcode
 * (`{"this_organization": true}` for the exported one) instead of an id that
 * means nothing elsewhere.
 */
export function userLine(organizationId: number) {
  return sql<string>`((to_jsonb(t) - ${sql.join(WITHHELD.map((c) => sql.lit(c)), sql` - `)}) || jsonb_build_object('auth_org', case
    when t.auth_org_id is null then null
    when t.auth_org_id = ${organizationId} then '{"this_organization": true}'::jsonb
    else jsonb_build_object('shortcode', (select o.shortcode from public.organization o where o.id = t.auth_org_id)) end))::text`;
}

export interface UserMapping {
  /** Archive user id → this installation's user id. */
  readonly ids: Map<number, number>;
  matched: number;
  created: number;
}

export function newUserMapping(): UserMapping {
  return { ids: new Map(), matched: 0, created: 0 };
}

/** Matches or creates the users of one `users/` part, adding them to `mapping`. */
export async function importUsers(trx: SqlExecutor, part: Buffer, organizationId: number, mapping: UserMapping): Promise<void> {
  const lines = jsonArray(part);
  const { rows } = await sql<{ old_id: number; new_id: number | null; auth_org_id: number | null; ordinal: number }>`
    select (e.j ->> 'id')::bigint as old_id, a.auth_org_id, e.ordinal::int as ordinal,
      case
        when e.j ->> 'email' is not null then (select u.id from public."user" u where u.email = e.j ->> 'email')
        when e.j ->> 'unique_id' is not null then (
          select u.id from public."user" u
          where u.unique_id = e.j ->> 'unique_id' and u.deleted_at is null
            and (u.auth_org_id = a.auth_org_id or (u.auth_org_id is null and a.auth_org_id is null))
          order by u.id limit 1)
        when e.j ->> 'mobile' is not null then (
          select u.id from public."user" u where u.mobile = e.j ->> 'mobile' and u.deleted_at is null order by u.id limit 1)
      end as new_id
    from json_array_elements(${lines}::json) with ordinality as e(j, ordinal)
    cross join lateral (
      select case
        when e.j -> 'auth_org' ->> 'this_organization' = 'true' then ${organizationId}::bigint
        else (select o.id from public.organization o where o.shortcode = e.j -> 'auth_org' ->> 'shortcode' and o.deleted_at is null)
      end as auth_org_id
    ) a`.execute(trx);

  const missing = rows.filter((row) => row.new_id === null);
  for (const row of rows) if (row.new_id !== null) mapping.ids.set(row.old_id, row.new_id);
  mapping.matched += rows.length - missing.length;
  if (missing.length === 0) return;

  // Ids come from the table's own sequence first, so the archive's id can be
  // paired with the new one without relying on the order INSERT returns rows in.
  const { rows: ids } = await sql<{ id: number }>`
    select nextval(pg_get_serial_sequence('public."user"', 'id')) as id from generate_series(1, ${missing.length})`.execute(trx);
  const source = JSON.parse(lines) as Record<string, unknown>[];
  const created = missing.map((row, i) => {
    const id = ids[i]!.id;
    mapping.ids.set(row.old_id, id);
    return { ...source[row.ordinal - 1], id, auth_org_id: row.auth_org_id };
  });
  const present = new Set(Object.keys(created[0]!));
  const columns = (await tableColumns(trx, 'public', 'user')).filter(
    (column) => present.has(column) && !(WITHHELD as readonly string[]).includes(column),
  );
  const list = sql.join(columns.map((column) => sql.ref(column)));
  await sql`insert into public."user" (${list}) overriding system value
    select ${list} from json_populate_recordset(null::public."user", ${JSON.stringify(created)}::json)`.execute(trx);
  mapping.created += created.length;
}

/** A JSON-lines part as the text of one JSON array (lines never hold a raw newline). */
export function jsonArray(part: Buffer): string {
  const text = part.toString('utf8').trimEnd();
  return text === '' ? '[]' : `[${text.replaceAll('\n', ',')}]`;
}
