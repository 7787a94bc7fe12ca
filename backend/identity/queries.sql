-- name: select_staff_for_login
select id, password_hash
from users
where lower(username) = lower($1) and role in ('admin', 'clinician') and disabled_at is null

-- name: select_sign_in_failures
-- $1 scopes, $2 window start. Per scope: the times of its failures in the window, oldest first.
-- Throttled attempts are not recorded, so a scope holds little more than its limit.
select scope, array_agg(failed_at order by failed_at) as failed_at
from sign_in_failures
where scope = any($1::text[]) and failed_at > $2
group by scope

-- name: insert_sign_in_failures
insert into sign_in_failures (scope, failed_at)
select scope, $2 from unnest($1::text[]) as scope

-- name: delete_sign_in_failures
delete from sign_in_failures where scope = $1

-- name: insert_session
insert into auth_sessions (id, user_id, device_name, created_at) values ($1, $2, $3, $4)

-- name: insert_token_pair
-- $1 session, $2 access hash, $3 access expiry, $4 refresh hash, $5 refresh expiry, $6 now.
insert into auth_tokens (token_hash, session_id, kind, expires_at, created_at)
values ($2, $1, 'access', $3, $6), ($4, $1, 'refresh', $5, $6)

-- name: use_refresh_token
-- Marks a live refresh token used; no row back means it is unknown, expired, used or revoked.
update auth_tokens t
set used_at = $2
from auth_sessions s, users u
where t.token_hash = $1 and t.kind = 'refresh' and t.used_at is null and t.expires_at > $2
  and s.id = t.session_id and s.revoked_at is null and u.id = s.user_id and u.disabled_at is null
returning t.session_id

-- name: select_used_refresh_token
select t.session_id, t.used_at, t.retired_at is not null as retired, s.revoked_at
from auth_tokens t join auth_sessions s on s.id = t.session_id
where t.token_hash = $1 and t.kind = 'refresh' and t.used_at is not null

-- name: retire_session_refresh_tokens
-- Within the replay grace period: the refresh tokens issued since stop working, so the family
-- never forks into two live chains.
update auth_tokens set used_at = $2, retired_at = $2
where session_id = $1 and kind = 'refresh' and used_at is null

-- name: delete_session_access_tokens
delete from auth_tokens where session_id = $1 and kind = 'access'

-- name: revoke_session
update auth_sessions set revoked_at = $2, revoked_reason = $3
where id = $1 and revoked_at is null

-- name: use_activation_code
update activation_codes
set used_at = $2
where code_hash = $1 and used_at is null and expires_at > $2
returning id, patient_id, role, display_name, guardian_id

-- name: mark_activation_code_user
update activation_codes set used_by_user_id = $2 where id = $1

-- name: select_patient_user
select u.id from patients p join users u on u.id = p.user_id where p.id = $1

-- name: insert_person
insert into users (id, role, display_name) values ($1, $2, $3)

-- name: link_patient_user
update patients set user_id = $2 where id = $1 and user_id is null

-- name: insert_guardianship
insert into guardianships (guardian_id, patient_id, created_at) values ($1, $2, $3)
on conflict do nothing

-- name: select_user_sessions
-- The signed-in devices of one user; the newest token a session was issued tells when it was last used.
select s.id, s.device_name, s.created_at,
       coalesce((select max(t.created_at) from auth_tokens t where t.session_id = s.id), s.created_at)
           as last_active_at
from auth_sessions s
where s.user_id = $1 and s.revoked_at is null
order by last_active_at desc, s.id

-- name: revoke_user_session
update auth_sessions set revoked_at = $3, revoked_reason = $4
where id = $1 and user_id = $2 and revoked_at is null
returning id
