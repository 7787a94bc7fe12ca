-- name: select_staff_for_login
select id, password_hash
from users
where lower(username) = lower($1) and role in ('admin', 'clinician') and disabled_at is null

-- name: select_staff_still_signing_in
-- After the password was checked without a connection: the account is still live, same password.
select exists (
    select 1 from users
    where id = $1 and password_hash = $2 and role in ('admin', 'clinician') and disabled_at is null)

-- name: select_sign_in_failures
-- $1 scopes, $2 window start. Per scope: its attempts in the window (in flight included) and the
-- times of its settled failures, oldest first. Refused attempts reserve nothing, so a scope holds
-- no more than its limit.
select scope, count(*) as attempts,
       coalesce(array_agg(failed_at order by failed_at) filter (where not in_flight), '{}') as failed_at
from sign_in_failures
where scope = any($1::text[]) and failed_at > $2
group by scope

-- name: lock_sign_in_scopes
-- Until the transaction ends, reservations of these scopes ($1, sorted) wait for this one.
-- Class 1936287598 is "sign" in ASCII, apart from the other transaction-level advisory locks.
select pg_advisory_xact_lock(1936287598, hashtext(scope)) from unnest($1::text[]) as scope

-- name: insert_sign_in_attempts
-- One reserved attempt per scope; the ids let a success delete exactly its own.
with reserved as (
    insert into sign_in_failures (scope, failed_at, in_flight)
    select scope, $2, true from unnest($1::text[]) as scope
    returning id
)
select array_agg(id) from reserved

-- name: delete_sign_in_attempts
delete from sign_in_failures where id = any($1::bigint[])

-- name: settle_sign_in_attempts
update sign_in_failures set in_flight = false where id = any($1::bigint[])

-- name: delete_sign_in_failures
delete from sign_in_failures where scope = $1 and not in_flight

-- name: insert_session
-- $5 the activation code, $6 the device code or $8 the recovery code that started it, $7 who
-- issued that code.
insert into auth_sessions (id, user_id, device_name, created_at, activation_code_id, device_code_id, issued_by,
                           recovery_code_id)
values ($1, $2, $3, $4, $5, $6, $7, $8)

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

-- name: revoke_own_session
-- $1 session, $2 its user (anyone else's session is not there), $3 now.
update auth_sessions set revoked_at = $3, revoked_reason = 'ended by the account holder', revoked_by = $2
where id = $1 and user_id = $2 and revoked_at is null
returning id

-- name: select_live_sessions
-- The sessions of user $1 that can still sign in (not ended, a refresh token left) at $3, newest
-- first; $2 the caller's own session.
select s.id, s.device_name, s.created_at, s.id = $2 as current,
       case when s.activation_code_id is not null then 'activation-code'
            when s.device_code_id is not null then 'device-code'
            when s.recovery_code_id is not null then 'recovery-code'
            else 'password' end as signed_in_with,
       i.id as code_issued_by_id, i.display_name as code_issued_by_name,
       c.id as code_confirmed_by_id, c.display_name as code_confirmed_by_name
from auth_sessions s
left join users i on i.id = s.issued_by
left join recovery_codes r on r.id = s.recovery_code_id
left join users c on c.id = r.confirmed_by
where s.user_id = $1 and s.revoked_at is null
  and exists (
      select 1 from auth_tokens t
      where t.session_id = s.id and t.kind = 'refresh' and t.used_at is null and t.expires_at > $3)
order by s.created_at desc, s.id

-- name: use_new_account_code
-- A clinician's code for a new account: a patient's first, or a guardian not named ($1 hash, $2
-- now). A code naming an existing guardian is not taken here (see use_guardian_link_code).
update activation_codes
set used_at = $2
where code_hash = $1 and used_at is null and expires_at > $2 and guardian_id is null
returning id, patient_id, role, display_name, created_by

-- name: select_link_code_exists
-- Whether a live code naming an existing guardian has this hash: it is refused at /auth/activate
-- with a pointer to the signed-in app rather than as a wrong code.
select exists (
    select 1 from activation_codes
    where code_hash = $1 and used_at is null and expires_at > $2 and guardian_id is not null)

-- name: use_guardian_link_code
-- A signed-in guardian ($3) redeems a guardian code that names them or nobody; $1 hash, $2 now.
update activation_codes
set used_at = $2, used_by_user_id = $3
where code_hash = $1 and used_at is null and expires_at > $2
  and role = 'guardian' and (guardian_id is null or guardian_id = $3)
returning id, patient_id

-- name: mark_activation_code_user
update activation_codes set used_by_user_id = $2 where id = $1

-- name: insert_person
insert into users (id, role, display_name) values ($1, $2, $3)

-- name: link_patient_user
-- The patient's first account; nothing when one exists already (a second code raced the first).
update patients set user_id = $2 where id = $1 and user_id is null
returning id

-- name: insert_device_code
insert into device_codes (id, code_hash, user_id, created_by_session, created_at, expires_at)
values ($1, $2, $3, $4, $5, $6)

-- name: use_device_code
-- A live device code of a live patient or guardian account ($1 hash, $2 now): the account it adds a
-- phone to. A patient account must still be the patient's.
update device_codes c
set used_at = $2
from users u
where c.code_hash = $1 and c.used_at is null and c.expires_at > $2
  and u.id = c.user_id and u.disabled_at is null
  and (u.role = 'guardian' or (u.role = 'patient' and exists (select 1 from patients p where p.user_id = u.id)))
returning c.id, c.user_id

-- name: insert_guardianship
insert into guardianships (guardian_id, patient_id, created_at) values ($1, $2, $3)
on conflict do nothing

-- name: select_guardian_patients
select array(select g.patient_id from guardianships g where g.guardian_id = $1 order by g.created_at, g.patient_id)

-- name: use_recovery_code
-- A recovery code a second clinician confirmed ($1 hash, $2 now), for an account that is still the
-- patient's own or a guardian of theirs (an unlinked guardian's code stops working): the account
-- it adds a phone to, who issued it.
update recovery_codes r
set used_at = $2
from users u
where r.code_hash = $1 and r.used_at is null and r.expires_at > $2 and r.confirmed_at is not null
  and u.id = r.user_id and u.disabled_at is null
  and ((u.role = 'patient' and exists (select 1 from patients p where p.id = r.patient_id and p.user_id = u.id))
       or (u.role = 'guardian'
           and exists (select 1 from guardianships g where g.patient_id = r.patient_id and g.guardian_id = u.id)))
returning r.id, r.user_id, r.requested_by

-- name: select_recovery_awaiting_confirmation
-- Whether a live recovery code with this hash waits for its second clinician: refused as such, not
-- as a wrong code.
select exists (
    select 1 from recovery_codes
    where code_hash = $1 and used_at is null and expires_at > $2 and confirmed_at is null)
