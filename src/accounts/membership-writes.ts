import type { Kysely } from 'kysely';
import { PG, pgErrorCode, uniqueViolation } from '../db/db-errors.ts';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';
import { credentialsChanged } from './credential-cache.ts';
import type { Membership } from './memberships.ts';

export interface MembershipInput {
  user: number;
  organization: number;
  role: number;
  is_owner?: boolean;
}

const RETURNED = ['id', 'user_id as user', 'organization_id as organization', 'role_id as role', 'is_owner'] as const;

/** Adds a member; a second membership of the same user in the same organization is a clear 400. */
export async function createMembership(db: Kysely<DB>, input: MembershipInput): Promise<Membership> {
  const created = await db
    .insertInto('public.organization_user')
    .values({ user_id: input.user, organization_id: input.organization, role_id: input.role, is_owner: input.is_owner ?? false })
    .returning(RETURNED)
    .executeTakeFirstOrThrow()
    .catch(membershipError);
  await credentialsChanged(db, [created.user]);
  return created;
}

/** Rewrites a membership; `current` is the row before, whose user may lose the role. */
export async function updateMembership(db: Kysely<DB>, current: Pick<Membership, 'id' | 'user'>, input: MembershipInput): Promise<Membership> {
  const updated = await db
    .updateTable('public.organization_user')
    .set({
      user_id: input.user,
      organization_id: input.organization,
      role_id: input.role,
      ...(input.is_owner === undefined ? {} : { is_owner: input.is_owner }),
      updated_at: new Date(),
    })
    .where('id', '=', current.id)
    .returning(RETURNED)
    .executeTakeFirstOrThrow()
    .catch(membershipError);
  await credentialsChanged(db, [current.user, updated.user]);
  return updated;
}

export async function deleteMembership(db: Kysely<DB>, membership: Pick<Membership, 'id' | 'user'>): Promise<void> {
  await db.deleteFrom('public.organization_user').where('id', '=', membership.id).execute();
  await credentialsChanged(db, [membership.user]);
}

function membershipError(error: unknown): never {
  if (uniqueViolation(error) === 'organization_user_membership_key') throw errors.membershipExists();
  if (pgErrorCode(error) === PG.FOREIGN_KEY_VIOLATION) {
    throw errors.validation({ non_field_errors: ['Invalid pk - object does not exist.'] });
  }
  throw error;
}
