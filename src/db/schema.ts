/**
 * Kysely's view of the tables.
 *
 * Shared tables are keyed `public.<name>`: code names the schema of every
 * shared table it touches. Tenant tables are unqualified and are only reached
 * through a handle scoped with `withSchema(tenant)`, so no query depends on a
 * connection's `search_path`.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** jsonb: read as a value, written as JSON text. */
type Json<T = unknown> = ColumnType<T, string, string>;
type Id = Generated<number>;

// ---- shared (public only) -------------------------------------------------

export interface OrganizationTable {
  id: Id;
  name: string;
  shortcode: string;
  schema_name: string;
  api_key: string;
  config: Json | null;
  schema_version: number | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Date | null;
}

export interface DomainTable {
  id: Id;
  domain: string;
  tenant_id: number;
  is_primary: Generated<boolean>;
}

export interface UserTable {
  id: Id;
  password: string | null;
  last_login: Date | null;
  is_superuser: Generated<boolean>;
  is_active: Generated<boolean>;
  first_name: Generated<string>;
  last_name: Generated<string>;
  email: string | null;
  mobile: string | null;
  avatar_url: string | null;
  config: ColumnType<Record<string, unknown>, string | undefined, string>;
  status: Generated<'waitlist' | 'approved'>;
  unique_id: string | null;
  auth_org_id: number | null;
  date_joined: CreatedAt;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Date | null;
}

export interface RoleTable {
  id: Id;
  name: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Date | null;
}

export interface OrganizationUserTable {
  id: Id;
  organization_id: number;
  user_id: number;
  role_id: number;
  is_owner: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface OAuthApplicationTable {
  id: Id;
  name: string;
  client_id: string;
  client_secret_hash: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface OAuthAccessTokenTable {
  id: Id;
  token_hash: string;
  user_id: number;
  application_id: number | null;
  scope: Generated<string>;
  expires_at: Date;
  created_at: CreatedAt;
}

export interface OAuthRefreshTokenTable {
  id: Id;
  token_hash: string;
  user_id: number;
  application_id: number | null;
  access_token_id: number | null;
  expires_at: Date;
  revoked_at: Date | null;
  created_at: CreatedAt;
}

export interface OneTimePasswordTable {
  id: Id;
  mobile: string;
  otp_hash: string;
  attempts: Generated<number>;
  expires_at: Date;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

/** Secrets the installation generated for itself (the development key of `src/secret-key.ts`). */
export interface InstallationSecretTable {
  name: string;
  value: string;
  created_at: CreatedAt;
}

export interface SharedTables {
  'public.organization': OrganizationTable;
  'public.domain': DomainTable;
  'public.user': UserTable;
  'public.role': RoleTable;
  'public.organization_user': OrganizationUserTable;
  'public.oauth_application': OAuthApplicationTable;
  'public.oauth_access_token': OAuthAccessTokenTable;
  'public.oauth_refresh_token': OAuthRefreshTokenTable;
  'public.one_time_password': OneTimePasswordTable;
  'public.installation_secret': InstallationSecretTable;
}

// ---- tenant (public and every organization schema) ------------------------

interface Timestamps {
  created_at: CreatedAt;
  updated_at: Timestamp;
  deleted_at: Date | null;
}

export interface VideoTable extends Timestamps {
  id: Id;
  url: string;
  title: string | null;
  duration: number | null;
  /** Its creator (tenant migration 0003); null for older rows no plio shows. */
  created_by_id: number | null;
}

export interface ImageTable extends Timestamps {
  id: Id;
  url: string;
  alt_text: Generated<string>;
  /** Its creator (tenant migration 0003); null for older rows no plio shows. */
  created_by_id: number | null;
}

export interface PlioTable extends Timestamps {
  id: Id;
  uuid: string;
  name: Generated<string>;
  video_id: number | null;
  created_by_id: number;
  failsafe_url: Generated<string>;
  status: Generated<'draft' | 'published'>;
  is_public: Generated<boolean>;
  config: Json | null;
}

export interface ItemTable extends Timestamps {
  id: Id;
  plio_id: number;
  type: Generated<'question'>;
  time: number;
  meta: Json | null;
}

export interface QuestionTable extends Timestamps {
  id: Id;
  item_id: number;
  type: Generated<'mcq' | 'checkbox' | 'subjective'>;
  text: Generated<string>;
  options: Json<unknown[]> | null;
  option_images: Json<Record<string, number | null>> | null;
  correct_answer: Json | null;
  survey: Generated<boolean>;
  has_char_limit: Generated<boolean>;
  max_char_limit: number | null;
  image_id: number | null;
}

export interface ExperimentTable extends Timestamps {
  id: Id;
  name: string;
  description: Generated<string>;
  type: Generated<'split_url'>;
  is_test: Generated<boolean>;
  created_by_id: number;
}

export interface ExperimentPlioTable {
  id: Id;
  experiment_id: number;
  plio_id: number;
  split_percentage: number;
  deleted_at: Date | null;
}

export interface TagTable extends Timestamps {
  id: Id;
  name: string;
  slug: string;
  /** Its creator (tenant migration 0003); null for older rows no plio shows. */
  created_by_id: number | null;
}

export interface ModelHasTagTable {
  id: Id;
  tag_id: number;
  model_type: string;
  model_id: number;
}

export interface SessionTable extends Timestamps {
  id: Id;
  plio_id: number;
  user_id: number;
  experiment_id: number | null;
  retention: Generated<string>;
  watch_time: Generated<number>;
  has_video_played: Generated<boolean>;
  is_first: Generated<boolean>;
  /** Facts of `retention`, written with it (`withRetentionFacts`, src/learning/retention-facts.ts). */
  retention_seconds: ColumnType<number | null, number | null | undefined, number | null>;
  retention_reach: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface SessionAnswerTable extends Timestamps {
  id: Id;
  session_id: number;
  item_id: number;
  answer: Json | null;
}

export interface EventTable extends Timestamps {
  id: Id;
  session_id: number;
  type: string;
  player_time: number;
  details: Json | null;
}

export interface TenantTables {
  video: VideoTable;
  image: ImageTable;
  plio: PlioTable;
  item: ItemTable;
  question: QuestionTable;
  experiment: ExperimentTable;
  experiment_plio: ExperimentPlioTable;
  tag: TagTable;
  model_has_tag: ModelHasTagTable;
  session: SessionTable;
  session_answer: SessionAnswerTable;
  event: EventTable;
}

export type DB = SharedTables & TenantTables;

/** The tables in every tenant schema, at run time (the compiler keeps the list equal to {@link TenantTables}). */
export const TENANT_TABLE_NAMES = Object.keys({
  video: true,
  image: true,
  plio: true,
  item: true,
  question: true,
  experiment: true,
  experiment_plio: true,
  tag: true,
  model_has_tag: true,
  session: true,
  session_answer: true,
  event: true,
} satisfies Record<keyof TenantTables, true>) as (keyof TenantTables)[];

export type Row<T extends keyof DB> = Selectable<DB[T]>;
export type NewRow<T extends keyof DB> = Insertable<DB[T]>;
export type RowUpdate<T extends keyof DB> = Updateable<DB[T]>;
