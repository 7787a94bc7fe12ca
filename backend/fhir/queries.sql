-- name: select_patient
select id, display_name, birth_date, user_id
from patients
where id = $1

-- name: select_measurements
-- Newest first from the keyset position ($2, $3), exclusive. The recorder's name is read only for
-- clinicians and guardians: a patient user's name must never reach another patient's export.
select m.id, m.type, m.value, m.value_code, m.components, m.unit, m.note, m.measured_at, m.received_at,
       m.recorded_by, m.recorder_role,
       case when m.recorder_role in ('clinician', 'guardian') then u.display_name end as recorder_name
from measurements m
join users u on u.id = m.recorded_by
where m.patient_id = $1 and (m.measured_at, m.id) < ($2, $3)
order by m.measured_at desc, m.id desc
limit $4

-- name: select_form_responses
-- Newest first from the keyset position ($2, $3), exclusive; recorder names as for measurements.
select r.id, r.form, r.version, r.authored_at, r.answers, r.measurement_ids, r.recorded_by, r.recorder_role,
       case when r.recorder_role in ('clinician', 'guardian') then u.display_name end as recorder_name
from form_responses r
join users u on u.id = r.recorded_by
where r.patient_id = $1 and (r.authored_at, r.id) < ($2, $3)
order by r.authored_at desc, r.id desc
limit $4

-- name: select_form_definitions
-- Each (code, version) once, however many responses on the page use it.
select f.code, f.version, f.definition
from forms f
join unnest($1::text[], $2::int[]) as wanted (code, version)
  on wanted.code = f.code and wanted.version = f.version
