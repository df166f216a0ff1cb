import { sql, type Kysely, type Selectable } from 'kysely';
import { uniqueViolation } from '../db/db-errors.ts';
import type { DB, UserTable } from '../db/schema.ts';
import { credentialsChanged } from './credential-cache.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

export type UserRow = Selectable<UserTable>;

export interface NewUser {
  email?: string | null;
  mobile?: string | null;
  firstName?: string;
  lastName?: string;
  avatarUrl?: string | null;
  uniqueId?: string | null;
  authOrgId?: number | null;
  isSuperuser?: boolean;
  password?: string;
}

/** Live (not soft-deleted) users. */
export function liveUsers(db: Kysely<DB>) {
  return db.selectFrom('public.user').selectAll().where('deleted_at', 'is', null);
}

export async function findUser(db: Kysely<DB>, id: number): Promise<UserRow | undefined> {
  return liveUsers(db).where('id', '=', id).executeTakeFirst();
}

export async function createUser(db: Kysely<DB>, user: NewUser): Promise<UserRow> {
  return db
    .insertInto('public.user')
    .values({
      email: user.email ?? null,
      mobile: user.mobile ?? null,
      first_name: user.firstName ?? '',
      last_name: user.lastName ?? '',
      avatar_url: user.avatarUrl ?? null,
      unique_id: user.uniqueId ?? null,
      auth_org_id: user.authOrgId ?? null,
      is_superuser: user.isSuperuser ?? false,
      password: user.password === undefined ? null : await hashPassword(user.password),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/**
 * Finds a user or creates one. Two concurrent first logins of the same
 * person race on a unique key; the loser finds the winner's row.
 */
async function findOrCreate(find: () => Promise<UserRow | undefined>, create: () => Promise<UserRow>): Promise<UserRow> {
  const existing = await find();
  if (existing) return existing;
  try {
    return await create();
  } catch (error) {
    if (uniqueViolation(error) === undefined) throw error;
    const winner = await find();
    if (!winner) throw error;
    return winner;
  }
}

/** The OTP login's user: the first with this mobile number, or a new one. */
export function userForMobile(db: Kysely<DB>, mobile: string): Promise<UserRow> {
  return findOrCreate(
    () => liveUsers(db).where('mobile', '=', mobile).orderBy('id').executeTakeFirst(),
    () => createUser(db, { mobile }),
  );
}

/** The SSO login's user: one per (unique_id, organization). */
export function userForExternalId(db: Kysely<DB>, uniqueId: string, organizationId: number): Promise<UserRow> {
  return findOrCreate(
    () => liveUsers(db).where('unique_id', '=', uniqueId).where('auth_org_id', '=', organizationId).executeTakeFirst(),
    () => createUser(db, { uniqueId, authOrgId: organizationId }),
  );
}

/** The Google login's user: the one with this email (a pre-created user is adopted), or a new one. */
export function userForEmail(db: Kysely<DB>, email: string, profile: Omit<NewUser, 'email'> = {}): Promise<UserRow> {
  return findOrCreate(
    () => liveUsers(db).where('email', '=', email).executeTakeFirst(),
    () => createUser(db, { ...profile, email }),
  );
}

/** The password grant's user, when the email and password match. */
export async function userForPassword(db: Kysely<DB>, email: string, password: string): Promise<UserRow | undefined> {
  const user = await liveUsers(db).where('email', '=', email).where('is_active', '=', true).executeTakeFirst();
  return user && (await verifyPassword(user.password, password)) ? user : undefined;
}

/** What boot found for `SUPERUSER_EMAIL` ({@link createSuperuserIfUnclaimed}). */
export type SuperuserClaim =
  | { outcome: 'created'; user: UserRow }
  | { outcome: 'already-superuser'; user: UserRow }
  | { outcome: 'claimed-by-user'; user: UserRow };

/**
 * Boot's superuser: created only when no user, live or deleted, has the
 * email (compared without case, as people type it). An existing user is
 * never promoted or changed here: users may set their own email, and boot
 * must not turn one of them, and their tokens, into a superuser (issue 9
 * finding 2). `plio user create-superuser` ({@link ensureSuperuser}) is the
 * deliberate way.
 */
export async function createSuperuserIfUnclaimed(db: Kysely<DB>, email: string, password: string): Promise<SuperuserClaim> {
  const holder = () =>
    db
      .selectFrom('public.user')
      .selectAll()
      .where(sql<boolean>`lower(email) = lower(${email})`)
      .orderBy('id')
      .executeTakeFirst();
  const classify = (user: UserRow): SuperuserClaim =>
    user.is_superuser && user.deleted_at === null ? { outcome: 'already-superuser', user } : { outcome: 'claimed-by-user', user };
  const existing = await holder();
  if (existing) return classify(existing);
  try {
    return { outcome: 'created', user: await createUser(db, { email, password, isSuperuser: true }) };
  } catch (error) {
    // another process booting at the same moment created it
    const winner = uniqueViolation(error) === undefined ? undefined : await holder();
    if (!winner) throw error;
    return classify(winner);
  }
}

/**
 * Makes `email` a superuser with `password`: creates the user, or promotes
 * an existing one and sets its password. Running it twice changes nothing.
 */
export async function ensureSuperuser(db: Kysely<DB>, email: string, password: string): Promise<{ user: UserRow; created: boolean }> {
  const existing = await liveUsers(db).where('email', '=', email).executeTakeFirst();
  if (!existing) {
    try {
      return { user: await createUser(db, { email, password, isSuperuser: true }), created: true };
    } catch (error) {
      if (uniqueViolation(error) === undefined) throw error;
    }
  }
  const current = existing ?? (await liveUsers(db).where('email', '=', email).executeTakeFirstOrThrow());
  if (current.is_superuser && (await verifyPassword(current.password, password))) return { user: current, created: false };
  const user = await db
    .updateTable('public.user')
    .set({ is_superuser: true, password: await hashPassword(password), updated_at: new Date() })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await credentialsChanged(db, [user.id]);
  return { user, created: false };
}
