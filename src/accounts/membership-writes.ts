import type { Kysely } from 'kysely';
import { PG, pgErrorCode, uniqueViolation } from '../db/db-errors.ts';
import type { DB } from '../db/schema.ts';
import { errors } from '../errors.ts';
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
  return db
    .insertInto('public.organization_user')
    .values({ user_id: input.user, organization_id: input.organization, role_id: input.role, is_owner: input.is_owner ?? false })
    .returning(RETURNED)
    .executeTakeFirstOrThrow()
    .catch(membershipError);
}

export async function updateMembership(db: Kysely<DB>, id: number, input: MembershipInput): Promise<Membership> {
  return db
    .updateTable('public.organization_user')
    .set({
      user_id: input.user,
      organization_id: input.organization,
      role_id: input.role,
      ...(input.is_owner === undefined ? {} : { is_owner: input.is_owner }),
      updated_at: new Date(),
    })
    .where('id', '=', id)
    .returning(RETURNED)
    .executeTakeFirstOrThrow()
    .catch(membershipError);
}

export async function deleteMembership(db: Kysely<DB>, id: number): Promise<void> {
  await db.deleteFrom('public.organization_user').where('id', '=', id).execute();
}

function membershipError(error: unknown): never {
  if (uniqueViolation(error) === 'organization_user_membership_key') throw errors.membershipExists();
  if (pgErrorCode(error) === PG.FOREIGN_KEY_VIOLATION) {
    throw errors.validation({ non_field_errors: ['Invalid pk - object does not exist.'] });
  }
  throw error;
}
