-- name: select_principal_by_access_token
select u.id, u.role, u.display_name, s.id as session_id,
       array(select m.unit_id from unit_memberships m where m.user_id = u.id order by m.unit_id) as unit_ids,
       case u.role
           when 'patient' then array(select p.id from patients p where p.user_id = u.id)
           when 'guardian' then array(select g.patient_id from guardianships g where g.guardian_id = u.id order by g.created_at, g.patient_id)
           else '{}'::uuid[]
       end as patient_ids
from auth_tokens t
join auth_sessions s on s.id = t.session_id
join users u on u.id = s.user_id
where t.token_hash = $1
  and t.kind = 'access'
  and t.expires_at > $2
  and s.revoked_at is null
  and u.disabled_at is null

-- name: select_patient_visible
-- Whether the caller sees the patient, and in the same round trip (P1) the access-log row of an
-- allowed access: written only when the patient is visible and $6 (the role may do this) holds.
-- A visible patient's birth date and time zone come back with it, so that a service need not look
-- the row up again (what bounds a measurement's time from below); no row: not visible.
-- $1 patient, $2 user, $3 role, $4 the caller's units, $5 now; $7 resource, $8 action, $9 request id,
-- $10 the caller's session (which device, and who issued the code that signed it in), $11 the
-- client's X-Request-ID.
with seen as (
    select p.birth_date, p.time_zone
    from patients p
    where p.id = $1
      and case $3::text
          when 'patient' then p.user_id = $2
          when 'guardian' then exists (
              select 1 from guardianships g where g.patient_id = p.id and g.guardian_id = $2)
          when 'clinician' then clinician_sees_patient(p.id, $4::uuid[], $5)
          else false
      end
),
logged as (
    insert into access_log (at, actor_id, actor_role, patient_id, resource, action, outcome, request_id, session_id,
                            client_request_id)
    select $5, $2, $3, $1, $7, $8, 'allowed', $9, $10, $11
    from seen
    where $6::boolean
)
select birth_date, time_zone from seen

-- name: insert_access_log
-- $4 the patient (null for an object id that names nothing), $11 the object asked for by id, if any.
insert into access_log (at, actor_id, actor_role, patient_id, resource, action, outcome, request_id, session_id,
                        client_request_id, object_id)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)

-- name: insert_access_log_many
insert into access_log (at, actor_id, actor_role, patient_id, resource, action, outcome, request_id, session_id,
                        client_request_id)
select $1, $2, $3, patient_id, $5, $6, 'allowed', $7, $8, $9
from unnest($4::uuid[]) as patient_id

-- name: select_principal_by_stream_ticket
-- Takes the single-use ticket (gone whatever it was worth, so it cannot be tried twice) and
-- resolves its sign-in, if the ticket was still valid and the sign-in still stands.
with taken as (
    delete from stream_tickets where ticket_hash = $1 returning session_id, expires_at
)
select u.id, u.role, u.display_name, s.id as session_id,
       array(select m.unit_id from unit_memberships m where m.user_id = u.id order by m.unit_id) as unit_ids,
       '{}'::uuid[] as patient_ids
from taken t
join auth_sessions s on s.id = t.session_id
join users u on u.id = s.user_id
where t.expires_at > $2
  and s.revoked_at is null
  and u.disabled_at is null

-- name: insert_stream_ticket
insert into stream_tickets (ticket_hash, session_id, created_at, expires_at) values ($1, $2, $3, $4)

-- name: delete_expired_stream_tickets
delete from stream_tickets where expires_at <= $1

-- name: insert_access_log_failed
-- Accesses that were allowed in a request whose transaction then rolled back, written again after
-- it: $4, $5, $6 the patients, resources and actions, in step.
insert into access_log (at, actor_id, actor_role, patient_id, resource, action, outcome, request_id, session_id,
                        client_request_id)
select $1, $2, $3, f.patient_id, f.resource, f.action, 'failed', $7, $8, $9
from unnest($4::uuid[], $5::text[], $6::text[]) as f (patient_id, resource, action)
