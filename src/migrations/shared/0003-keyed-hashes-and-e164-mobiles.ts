import type { Migration } from '../../tenancy/migration.ts';

/**
 * Tokens and one-time passwords become keyed hashes (`src/secret-key.ts`)
 * and mobile numbers E.164 (`src/accounts/phone-numbers.ts`):
 *
 * - the unkeyed hashes cannot be re-keyed without the tokens themselves, so
 *   every stored token and OTP is dropped: everyone signs in again once
 *   (docs/security.md says why this beats accepting old hashes for a week);
 * - users' mobile numbers in the forms Plio has seen (`+91…`, `91…`,
 *   `0091…`, `0…`, ten digits, with spaces or dashes) become `+91…`, as the
 *   new code writes them. Plio serves India (`PHONE_DEFAULT_REGION` is `IN`
 *   by default); other numbers written without `+` or `00` are left as
 *   they are, since SQL cannot tell their country.
 * - a table for secrets the installation makes for itself.
 */
export const keyedHashesAndE164Mobiles: Migration = {
  name: '0003-keyed-hashes-and-e164-mobiles',
  sql: `
create table installation_secret (
  name text primary key,
  value text not null,
  created_at timestamptz not null default now()
);

delete from oauth_refresh_token;
delete from oauth_access_token;
delete from one_time_password;

update "user" set mobile = regexp_replace(mobile, '[[:space:]().-]', '', 'g') where mobile ~ '[[:space:]().-]';
update "user" set mobile = '+' || substr(mobile, 3) where mobile ~ '^00[1-9][0-9]{6,14}$';
update "user" set mobile = '+91' || substr(mobile, 5) where mobile ~ '^[+]910[6-9][0-9]{9}$';
update "user" set mobile = '+' || mobile where mobile ~ '^91[6-9][0-9]{9}$';
update "user" set mobile = '+91' || substr(mobile, 2) where mobile ~ '^0[6-9][0-9]{9}$';
update "user" set mobile = '+91' || mobile where mobile ~ '^[6-9][0-9]{9}$'`,
};
