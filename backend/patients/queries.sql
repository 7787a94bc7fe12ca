-- name: insert_patient
insert into patients (id, display_name, birth_date, time_zone, registered_unit_id, created_by, created_at)
values ($1, $2, $3, $4, $5, $6, $7)

-- name: select_patient
select p.id, p.display_name, p.birth_date, p.time_zone,
       coalesce((
           select jsonb_agg(jsonb_build_object(
                      'id', e.id, 'programme', e.programme, 'unit_id', e.unit_id,
                      'parameters', e.parameters, 'started_at', e.started_at, 'ended_at', e.ended_at,
                      'end_reason', e.end_reason)
                  order by e.started_at, e.id)
           from enrolments e where e.patient_id = p.id), '[]') as enrolments,
       coalesce((
           select jsonb_agg(jsonb_build_object('id', u.id, 'display_name', u.display_name)
                  order by g.created_at, u.id)
           from guardianships g join users u on u.id = g.guardian_id
           where g.patient_id = p.id), '[]') as guardians
from patients p
where p.id = $1

-- name: select_patients_of_units
-- Candidates come from the two index paths; clinician_sees_patient decides.
select p.id, p.display_name, p.birth_date, p.time_zone
from patients p
where p.id in (
          select e.patient_id from enrolments e where e.unit_id = any($1::uuid[])
          union
          select r.id from patients r where r.registered_unit_id = any($1::uuid[]))
  and clinician_sees_patient(p.id, $1::uuid[], $2)
order by p.display_name, p.id

-- name: insert_enrolment
insert into enrolments (id, patient_id, unit_id, programme, parameters, started_at, created_by, created_at)
values ($1, $2, $3, $4, $5, $6, $7, $8)
returning id, programme, unit_id, parameters, started_at, ended_at, end_reason

-- name: end_enrolment
update enrolments set ended_at = $4, end_reason = $5
where id = $1 and patient_id = $2 and unit_id = any($3::uuid[]) and ended_at is null and started_at < $4
returning id, programme, unit_id, parameters, started_at, ended_at, end_reason

-- name: select_current_enrolment_for_update
-- The enrolment $1 of patient $2 that is current at $3, locked: two changes at once apply one
-- after the other, each to the other's result.
select id, programme, unit_id, parameters, started_at, ended_at, created_by, created_at
from enrolments
where id = $1 and patient_id = $2 and (ended_at is null or ended_at > $3)
for update

-- name: update_enrolment_parameters
update enrolments set parameters = $2 where id = $1
returning id, programme, unit_id, parameters, started_at, ended_at

-- name: insert_parameter_change
insert into enrolment_parameter_changes (enrolment_id, patient_id, parameters, previous, reason, changed_by, changed_at)
values ($1, $2, $3, $4, $5, $6, $7)

-- name: select_enrolment_of_patient
select e.parameters, e.created_by, u.display_name as created_by_name, e.created_at
from enrolments e join users u on u.id = e.created_by
where e.id = $1 and e.patient_id = $2

-- name: select_parameter_changes
-- Newest first; changes made in one instant in the order they were made.
select c.parameters, c.previous, c.reason, c.changed_by, u.display_name as changed_by_name, c.changed_at
from enrolment_parameter_changes c join users u on u.id = c.changed_by
where c.enrolment_id = $1 and c.patient_id = $2
order by c.changed_at desc, c.id desc

-- name: insert_activation_code
insert into activation_codes (id, code_hash, patient_id, role, display_name, guardian_id, created_by, created_at, expires_at)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9)

-- name: select_guardian_visible
-- A guardian may be linked to another child only by a clinician who can see one of their children.
select exists (
    select 1 from guardianships g join users u on u.id = g.guardian_id
    where g.guardian_id = $1 and u.role = 'guardian' and u.disabled_at is null
      and clinician_sees_patient(g.patient_id, $2::uuid[], $3))

-- name: select_access_log
-- Staff are named (Normen: who looked), and so are the patient and their guardians; anyone else
-- (another family's parent or patient, trying an id that is not theirs) is "another user", so one
-- family's log never shows another family's names or devices. Each row carries the session it was
-- made with: its device, how it began, who issued its code.
select a.id, a.at,
       case when v.named then a.actor_id end as actor_id,
       case when v.named then u.display_name else 'another user' end as actor_name,
       a.actor_role, a.resource, a.action, a.outcome,
       case when v.named then a.session_id end as session_id,
       case when v.named then s.device_name end as device_name,
       case when s.activation_code_id is not null then 'activation-code'
            when s.device_code_id is not null then 'device-code'
            when s.recovery_code_id is not null then 'recovery-code'
            when s.id is not null then 'password' end as signed_in_with,
       case when v.named then i.id end as code_issued_by_id,
       case when v.named then i.display_name end as code_issued_by_name,
       case when v.named then c.id end as code_confirmed_by_id,
       case when v.named then c.display_name end as code_confirmed_by_name
from access_log a
join users u on u.id = a.actor_id
left join auth_sessions s on s.id = a.session_id
left join users i on i.id = s.issued_by
left join recovery_codes r on r.id = s.recovery_code_id
left join users c on c.id = r.confirmed_by
cross join lateral (
    select u.role in ('clinician', 'admin')
           or exists (select 1 from patients p where p.id = $1 and p.user_id = u.id)
           or exists (select 1 from guardianships g where g.patient_id = $1 and g.guardian_id = u.id) as named
) v
where a.patient_id = $1 and ($2::bigint is null or a.id < $2)
order by a.id desc
limit $3

-- name: select_patient_has_account
select user_id is not null from patients where id = $1

-- name: select_family_sessions
-- The live sessions (not ended, a refresh token left at $2) of patient $1's own account and of
-- their guardians': what a clinician ends when a phone is lost.
select s.id, s.device_name, s.created_at, false as current,
       case when s.activation_code_id is not null then 'activation-code'
            when s.device_code_id is not null then 'device-code'
            when s.recovery_code_id is not null then 'recovery-code'
            else 'password' end as signed_in_with,
       i.id as code_issued_by_id, i.display_name as code_issued_by_name,
       c.id as code_confirmed_by_id, c.display_name as code_confirmed_by_name,
       u.id as user_id, u.role as user_role, u.display_name as user_name
from auth_sessions s
join users u on u.id = s.user_id
left join users i on i.id = s.issued_by
left join recovery_codes r on r.id = s.recovery_code_id
left join users c on c.id = r.confirmed_by
where s.revoked_at is null
  and (u.id = (select p.user_id from patients p where p.id = $1)
       or u.id in (select g.guardian_id from guardianships g where g.patient_id = $1))
  and exists (
      select 1 from auth_tokens t
      where t.session_id = s.id and t.kind = 'refresh' and t.used_at is null and t.expires_at > $2)
order by u.display_name, u.id, s.created_at desc, s.id

-- name: end_family_session
-- $2 a session of patient $1's account or of one of their guardians; $3 now, $4 the clinician.
update auth_sessions s
set revoked_at = $3, revoked_reason = 'ended by a clinician', revoked_by = $4
where s.id = $2 and s.revoked_at is null
  and (s.user_id = (select p.user_id from patients p where p.id = $1)
       or s.user_id in (select g.guardian_id from guardianships g where g.patient_id = $1))
returning s.id

-- name: delete_guardianship
delete from guardianships where patient_id = $1 and guardian_id = $2
returning guardian_id

-- name: expire_link_codes
-- Unused codes of patient $1 naming guardian $2 stop working at $3.
update activation_codes set expires_at = $3
where patient_id = $1 and guardian_id = $2 and used_at is null and expires_at > $3

-- name: revoke_sessions_of_unlinked_guardian
-- A guardian linked to no child any more is signed out everywhere ($2 now, $3 the clinician).
update auth_sessions
set revoked_at = $2, revoked_reason = 'unlinked from their last child', revoked_by = $3
where user_id = $1 and revoked_at is null
  and not exists (select 1 from guardianships g where g.guardian_id = $1)

-- name: select_family_account
-- User $2 when it is patient $1's own account or one of their guardians' (and not disabled).
select u.id, u.role, u.display_name
from users u
where u.id = $2 and u.disabled_at is null
  and ((u.role = 'patient' and exists (select 1 from patients p where p.id = $1 and p.user_id = u.id))
       or (u.role = 'guardian'
           and exists (select 1 from guardianships g where g.patient_id = $1 and g.guardian_id = u.id)))

-- name: insert_recovery_code
insert into recovery_codes (id, code_hash, patient_id, user_id, reason, requested_by, created_at, expires_at)
values ($1, $2, $3, $4, $5, $6, $7, $8)

-- name: select_recoveries
-- Patient $1's recovery codes, newest first ($2 one of them only, when given), with the names.
select r.id, r.reason, r.created_at, r.expires_at, r.confirmed_at, r.used_at,
       u.id as user_id, u.display_name as user_name, u.role as user_role,
       q.id as requested_by_id, q.display_name as requested_by_name,
       c.id as confirmed_by_id, c.display_name as confirmed_by_name
from recovery_codes r
join users u on u.id = r.user_id
join users q on q.id = r.requested_by
left join users c on c.id = r.confirmed_by
where r.patient_id = $1 and ($2::uuid is null or r.id = $2)
order by r.created_at desc, r.id
limit 100

-- name: lock_recovery
-- Recovery $2 of patient $1, locked until the confirming transaction ends.
select requested_by, confirmed_at, used_at, expires_at
from recovery_codes
where id = $2 and patient_id = $1
for update

-- name: confirm_recovery
update recovery_codes set confirmed_by = $2, confirmed_at = $3 where id = $1
