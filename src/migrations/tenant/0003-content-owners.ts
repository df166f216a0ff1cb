import type { Migration } from '../../tenancy/migration.ts';

/**
 * Who created each video, image and tag, so the personal workspace can keep
 * them with their creator (SPEC section 5; `src/content/asset-access.ts`
 * decides). In an organization's schema the column is recorded too, but
 * access there follows membership, not the creator.
 *
 * Rows made before this migration have no creator recorded. Where a plio
 * shows the row, its creator is the owner: a video belongs to the creator of
 * the first plio that plays it, an image to the creator of the first plio
 * whose question shows it (as the question's image or an option's). Rows no
 * plio shows keep a null owner: in the personal workspace only superusers
 * reach them (nobody can be shown to have made them); in an organization
 * every member does, as for any row.
 *
 * No index: the column is read with the row, and lists filter a workspace's
 * videos, images and tags, which stay small next to its sessions. Nullable
 * columns without a default are catalog entries only, so this is cheap on
 * thousands of schemas.
 */
export const contentOwners: Migration = {
  name: '0003-content-owners',
  sql: `
alter table video add column created_by_id bigint;
alter table image add column created_by_id bigint;
alter table tag add column created_by_id bigint;

update video v set created_by_id = first_plio.created_by_id
from (select distinct on (video_id) video_id, created_by_id from plio where video_id is not null order by video_id, id) first_plio
where first_plio.video_id = v.id;

update image im set created_by_id = shown.created_by_id
from (
  select distinct on (image_id) image_id, created_by_id
  from (
    select q.image_id, p.created_by_id, p.id as plio_id
    from question q join item i on i.id = q.item_id join plio p on p.id = i.plio_id
    where q.image_id is not null
    union all
    select option_image.value::bigint, p.created_by_id, p.id
    from question q join item i on i.id = q.item_id join plio p on p.id = i.plio_id,
      jsonb_each(case when jsonb_typeof(q.option_images) = 'object' then q.option_images else '{}'::jsonb end) option_image
    where jsonb_typeof(option_image.value) = 'number'
  ) uses
  order by image_id, plio_id
) shown
where shown.image_id = im.id`,
};
