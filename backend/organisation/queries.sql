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
