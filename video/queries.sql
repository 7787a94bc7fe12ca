-- name: insert_meeting
insert into meetings (id, patient_id, kind, title, starts_at, ends_at, created_by, created_at)
values ($1, $2, $3, $4, $5, $6, $7, $8)

-- name: insert_meeting_participants
insert into meeting_participants (meeting_id, user_id, role)
select $1, user_id, role from unnest($2::uuid[], $3::text[]) as p (user_id, role)

-- name: select_named_users
-- The users a new meeting names, with whether each shares an organisation with the planner's units.
select u.id, u.role, u.disabled_at is null as active,
       exists (
           select 1 from unit_memberships m join units x on x.id = m.unit_id
           where m.user_id = u.id
             and x.organisation_id in (select y.organisation_id from units y where y.id = any($2::uuid[]))
       ) as same_organisation,
       exists (select 1 from patients p where p.id = $3 and p.user_id = u.id)
       or exists (select 1 from guardianships g where g.patient_id = $3 and g.guardian_id = u.id) as patient_side
from users u
where u.id = any($1::uuid[])

-- name: select_meeting_access
-- One meeting and the caller's relation to it: $2 user, $3 role, $4 the caller's units, $5 now.
-- Always one row, all null for a meeting that does not exist, so that a missing id and someone
-- else's take the same path to the same 404. With $6 the access-log row of an allowed read is
-- written in the same statement ($7 resource, $8 request id, $9 session, $10 client's request id).
with target as (
    select m.id, m.patient_id,
           (select mp.role from meeting_participants mp where mp.meeting_id = m.id and mp.user_id = $2) as named_role,
           (p.user_id = $2
            or exists (select 1 from guardianships g where g.patient_id = m.patient_id and g.guardian_id = $2))
               as patient_side,
           ($3::text = 'clinician' and clinician_sees_patient(m.patient_id, $4::uuid[], $5)) as care_team,
           m.starts_at, m.ends_at, m.ended_at
    from meetings m join patients p on p.id = m.patient_id
    where m.id = $1
),
logged as (
    insert into access_log (at, actor_id, actor_role, patient_id, resource, action, outcome, request_id, session_id,
                            client_request_id, object_id)
    select $5, $2, $3, t.patient_id, $7, 'read', 'allowed', $8, $9, $10, $1
    from target t
    where $6::boolean and (t.named_role is not null or t.patient_side or t.care_team)
)
select t.id, t.patient_id, t.named_role, coalesce(t.patient_side, false) as patient_side,
       coalesce(t.care_team, false) as care_team, t.starts_at, t.ends_at, t.ended_at
from (select) as one
left join target t on true

-- name: select_meetings
-- Meetings by id, with every participant (named ones, then the patient and guardians) and the
-- caller's ($2) own role.
select m.id, m.patient_id, m.kind, m.title, m.starts_at, m.ends_at, m.ended_at, m.created_by, m.created_at,
       coalesce((
           select jsonb_agg(x.participant order by x.position, x.name, x.user_id)
           from (
               select 0 as position, u.display_name as name, u.id as user_id,
                      jsonb_build_object('user_id', u.id, 'display_name', u.display_name,
                                         'role', mp.role, 'kind', 'staff') as participant
               from meeting_participants mp join users u on u.id = mp.user_id
               where mp.meeting_id = m.id
               union all
               select 1, u.display_name, u.id,
                      jsonb_build_object('user_id', u.id, 'display_name', u.display_name,
                                         'role', 'participant', 'kind', 'patient')
               from users u where u.id = p.user_id
               union all
               select 2, u.display_name, u.id,
                      jsonb_build_object('user_id', u.id, 'display_name', u.display_name,
                                         'role', 'participant', 'kind', 'guardian')
               from guardianships g join users u on u.id = g.guardian_id
               where g.patient_id = m.patient_id
           ) x), '[]') as participants,
       coalesce(
           (select mp.role from meeting_participants mp where mp.meeting_id = m.id and mp.user_id = $2),
           case when p.user_id = $2
                  or exists (select 1 from guardianships g where g.patient_id = m.patient_id and g.guardian_id = $2)
                then 'participant' end) as my_role
from meetings m join patients p on p.id = m.patient_id
where m.id = any($1::uuid[])
order by m.starts_at, m.id

-- name: select_meeting_ids_of_patient
-- All of a patient's meetings ($2 true: the caller may see the patient), or only those the caller
-- ($3) takes part in.
select m.id from meetings m join patients p on p.id = m.patient_id
where m.patient_id = $1
  and ($2::boolean
       or exists (select 1 from meeting_participants mp where mp.meeting_id = m.id and mp.user_id = $3)
       or p.user_id = $3
       or exists (select 1 from guardianships g where g.patient_id = m.patient_id and g.guardian_id = $3))
order by m.starts_at desc, m.id
limit $4

-- name: select_my_meeting_ids
-- The meetings the caller takes part in, named or as the patient or a guardian, that have not
-- closed for joining before $2.
select m.id, m.patient_id from meetings m
where m.ends_at >= $2
  and (m.id in (select mp.meeting_id from meeting_participants mp where mp.user_id = $1)
       or m.patient_id in (select p.id from patients p where p.user_id = $1)
       or m.patient_id in (select g.patient_id from guardianships g where g.guardian_id = $1))
order by m.starts_at, m.id
limit $3

-- name: delete_expired_tickets
delete from meeting_tickets where expires_at < $1

-- name: insert_ticket
insert into meeting_tickets (ticket_hash, meeting_id, user_id, session_id, peer_id, created_at, expires_at)
values ($1, $2, $3, $4, $5, $6, $7)

-- name: insert_attendance
insert into meeting_attendance (meeting_id, user_id, role, first_joined_at)
values ($1, $2, $3, $4)
on conflict (meeting_id, user_id) do nothing

-- name: redeem_ticket
-- Single use across processes: the row is gone whoever asks next. The seat comes back with what
-- the socket needs to re-check: still signed in, still a participant, meeting not ended.
with redeemed as (
    delete from meeting_tickets where ticket_hash = $1
    returning meeting_id, user_id, session_id, peer_id, expires_at
)
select r.meeting_id, r.user_id, r.session_id, r.peer_id, r.expires_at, u.display_name,
       (s.revoked_at is null and u.disabled_at is null) as signed_in,
       m.ended_at,
       coalesce(
           (select mp.role from meeting_participants mp where mp.meeting_id = m.id and mp.user_id = u.id),
           case when p.user_id = u.id
                  or exists (select 1 from guardianships g where g.patient_id = m.patient_id and g.guardian_id = u.id)
                then 'participant' end) as role
from redeemed r
join users u on u.id = r.user_id
join auth_sessions s on s.id = r.session_id
join meetings m on m.id = r.meeting_id
join patients p on p.id = m.patient_id

-- name: select_token_user
-- Who an access token belongs to (a socket that also presents one must be the ticket's user).
select s.user_id from auth_tokens t join auth_sessions s on s.id = t.session_id
where t.token_hash = $1 and t.kind = 'access' and t.expires_at > $2 and s.revoked_at is null

-- name: end_meeting
update meetings set ended_at = $3, ended_by = $2 where id = $1 and ended_at is null

-- name: select_seats_held
-- For each socket's sign-in $1[i] in meeting $2[i]: whether it is still signed in (session not
-- revoked, account not disabled) and still takes part (named, or the patient or a guardian).
select c.session_id, c.meeting_id,
       coalesce(s.revoked_at is null and u.disabled_at is null, false) as signed_in,
       coalesce(exists (select 1 from meeting_participants mp where mp.meeting_id = m.id and mp.user_id = u.id)
                or p.user_id = u.id
                or exists (select 1 from guardianships g where g.patient_id = m.patient_id and g.guardian_id = u.id),
                false) as participant
from unnest($1::uuid[], $2::uuid[]) as c (session_id, meeting_id)
left join auth_sessions s on s.id = c.session_id
left join users u on u.id = s.user_id
left join meetings m on m.id = c.meeting_id
left join patients p on p.id = m.patient_id
