-- name: insert_organisation
insert into organisations (id, name, kind, created_at) values ($1, $2, $3, $4)
returning id, name, kind, created_at

-- name: select_organisations
select id, name, kind, created_at from organisations order by name, id

-- name: insert_unit
insert into units (id, organisation_id, name, created_at, contact_within_hours)
select $1, o.id, $3, $4, $5 from organisations o where o.id = $2
returning id, organisation_id, name, created_at, contact_within_hours

-- name: select_units
select id, organisation_id, name, created_at, contact_within_hours from units where organisation_id = $1
order by name, id

-- name: select_existing_units
select id from units where id = any($1::uuid[])

-- name: insert_staff_user
insert into users (id, role, username, password_hash, display_name, profession, created_at)
values ($1, $2, $3, $4, $5, $6, $7)

-- name: insert_unit_memberships
insert into unit_memberships (user_id, unit_id, created_at)
select $1, unit_id, $3 from unnest($2::uuid[]) as unit_id

-- name: select_units_of_user
select u.id, u.organisation_id, u.name, u.created_at, o.name as organisation_name, o.kind as organisation_kind
from unit_memberships m join units u on u.id = m.unit_id join organisations o on o.id = u.organisation_id
where m.user_id = $1
order by o.name, u.name, u.id

-- name: select_staff
-- Staff accounts (administrators and clinicians), with their units; $1 a unit to narrow to.
select s.id, s.username, s.display_name, s.role, s.profession, s.disabled_at,
       array(select m.unit_id from unit_memberships m where m.user_id = s.id order by m.unit_id) as unit_ids
from users s
where s.role in ('admin', 'clinician')
  and ($1::uuid is null or exists (select 1 from unit_memberships m where m.user_id = s.id and m.unit_id = $1))
order by s.display_name, s.id

-- name: select_staff_user
select s.id, s.username, s.display_name, s.role, s.profession, s.disabled_at,
       array(select m.unit_id from unit_memberships m where m.user_id = s.id order by m.unit_id) as unit_ids
from users s
where s.id = $1 and s.role in ('admin', 'clinician')

-- name: set_user_disabled
-- Disabling takes effect at once: tokens resolve only for users that are not disabled.
update users set disabled_at = case when $2::boolean then coalesce(disabled_at, $3) end
where id = $1 and role in ('admin', 'clinician')

-- name: delete_unit_memberships
delete from unit_memberships where user_id = $1 and not (unit_id = any($2::uuid[]))

-- name: insert_missing_unit_memberships
insert into unit_memberships (user_id, unit_id, created_at)
select $1, unit_id, $3 from unnest($2::uuid[]) as unit_id
on conflict (user_id, unit_id) do nothing

-- name: select_colleagues
-- The clinicians a clinician may invite to a meeting: active clinicians of any organisation (a
-- discharge meeting includes the municipality's nurse), with their organisation. No patient data.
-- With unit $1, only that unit's (whom its notification policy's on-call list may name).
select s.id, s.display_name, s.profession,
       coalesce((select string_agg(distinct o.name, ', ' order by o.name)
                 from unit_memberships m join units u on u.id = m.unit_id
                 join organisations o on o.id = u.organisation_id
                 where m.user_id = s.id), '') as organisations
from users s
where s.role = 'clinician' and s.disabled_at is null
  and ($1::uuid is null or exists (select 1 from unit_memberships m where m.user_id = s.id and m.unit_id = $1))
order by s.display_name, s.id
