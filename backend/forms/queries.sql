-- name: select_current_forms
-- The newest version of each form of the programmes the patient follows at $2.
select distinct on (f.programme, f.code) f.code, f.version, f.programme, f.definition
from forms f
where f.programme in (
    select e.programme from enrolments e
    where e.patient_id = $1 and e.started_at <= $2 and (e.ended_at is null or e.ended_at > $2))
order by f.programme, f.code, f.version desc

-- name: select_form_for_patient
-- The named version of a form, and whether the patient follows its programme now ($4) or did when
-- the answers were written ($5): a phone that was offline over a discharge still delivers them.
select f.definition,
       exists (
           select 1 from enrolments e
           where e.patient_id = $3 and e.programme = f.programme
             and ((e.started_at <= $4 and (e.ended_at is null or e.ended_at > $4))
                  or (e.started_at <= $5 and (e.ended_at is null or e.ended_at > $5)))) as followed
from forms f
where f.code = $1 and f.version = $2

-- name: select_form_exists
select exists (select 1 from forms where code = $1)

-- name: insert_form_response
-- Skipped when (patient, id) exists; the caller then compares content hashes.
insert into form_responses (
    patient_id, id, form, version, authored_at, received_at, answers, score, measurement_ids,
    recorded_by, recorder_role, content_hash)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
on conflict (patient_id, id) do nothing
returning id

-- name: select_form_response_outcome
select content_hash, score, measurement_ids from form_responses where patient_id = $1 and id = $2

-- name: select_form_responses
-- Newest first; ($2, $3) is the keyset cursor, the (authored_at, id) of the last item seen; $5 an
-- optional form code.
select id, form, version, authored_at, received_at, answers, score, measurement_ids, recorded_by, recorder_role
from form_responses
where patient_id = $1 and (authored_at, id) < ($2, $3) and ($5::text is null or form = $5)
order by authored_at desc, id desc
limit $4

-- name: insert_contact_request
insert into contact_requests (id, patient_id, message, created_by, created_role, created_at)
values ($1, $2, $3, $4, $5, $6)
on conflict (patient_id, id) do nothing
returning id, patient_id, message, status, created_at, created_by, created_role, handled_by, handled_at

-- name: select_contact_request
-- Ids are per patient ($1): another patient's request with the same id is not this one.
select id, patient_id, message, status, created_at, created_by, created_role, handled_by, handled_at
from contact_requests
where patient_id = $1 and id = $2

-- name: select_contact_requests
-- Newest first; $2 the statuses wanted.
select id, patient_id, message, status, created_at, created_by, created_role, handled_by, handled_at
from contact_requests
where patient_id = $1 and status = any($2::text[])
order by created_at desc, id desc
limit $3

-- name: handle_contact_request
update contact_requests set status = 'handled', handled_by = $3, handled_at = $4
where id = $1 and patient_id = $2 and status = 'open'
returning id, patient_id, message, status, created_at, created_by, created_role, handled_by, handled_at

-- name: select_contact_promise
-- The shortest promise among the units following the patient now (null when none has made one).
select min(u.contact_within_hours)
from enrolments e join units u on u.id = e.unit_id
where e.patient_id = $1 and e.ended_at is null
