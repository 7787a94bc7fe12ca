-- name: select_measurement_types
select code, code_system, code_value, local, extra_codings, display, canonical_unit, units, value_kind,
       min, max, options, components, attributes, fhir_category
from measurement_types
order by code

-- name: insert_measurements
-- One statement for the whole batch. Rows whose (patient, id) exists are skipped; the caller tells
-- a duplicate from a conflict by comparing content hashes with select_measurement_hashes.
-- $1 the patient and $2 the service's now (received_at) first: the service runs this with the
-- evaluation context in the same statement (alerting.service.with_evaluation_context).
insert into measurements (
    patient_id, id, type, value, value_code, components, unit, original_value, original_unit,
    attributes, note, measured_at, received_at, recorded_by, recorder_role, content_hash)
select $1, t.id, t.type, t.value, t.value_code, t.components, t.unit, t.original_value, t.original_unit,
       t.attributes, t.note, t.measured_at, $2, $3, $4, t.content_hash
from unnest($5::uuid[], $6::text[], $7::float8[], $8::text[], $9::jsonb[], $10::text[], $11::float8[],
            $12::text[], $13::jsonb[], $14::text[], $15::timestamptz[], $16::bytea[])
     as t(id, type, value, value_code, components, unit, original_value, original_unit, attributes, note,
          measured_at, content_hash)
on conflict (patient_id, id) do nothing
returning id

-- name: select_measurement_hashes
select id, content_hash from measurements where patient_id = $1 and id = any($2::uuid[])

-- name: select_measurements
-- Newest first. $2/$3 bound measured_at (since inclusive, until exclusive); ($4, $5) is the keyset
-- cursor, the (measured_at, id) of the last item seen.
select id, type, value, value_code, components, unit, original_value, original_unit, attributes, note,
       measured_at, received_at, recorded_by, recorder_role
from measurements
where patient_id = $1 and measured_at >= $2 and measured_at < $3 and (measured_at, id) < ($4, $5)
order by measured_at desc, id desc
limit $6

-- name: select_measurements_of_type
select id, type, value, value_code, components, unit, original_value, original_unit, attributes, note,
       measured_at, received_at, recorded_by, recorder_role
from measurements
where patient_id = $1 and type = $7 and measured_at >= $2 and measured_at < $3 and (measured_at, id) < ($4, $5)
order by measured_at desc, id desc
limit $6
