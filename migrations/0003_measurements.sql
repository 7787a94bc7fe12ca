-- Measurement types (docs/clinical-rules.md, C6) and the measurements themselves.
--
-- A type has one canonical UCUM unit; `units` lists every accepted unit with the affine map to the
-- canonical one (canonical = value * factor + offset). `min`/`max` are the physiologically
-- possible range in the canonical unit: outside it a value is refused, not stored. Where LOINC has
-- no code (or one we have not verified) the type carries a local code, marked `local`.

create table measurement_types (
    code            text primary key,
    code_system     text not null,
    code_value      text not null,
    local           boolean not null,
    -- Further codings a FHIR export must carry (US Core wants 2708-6 beside 59408-5 for SpO2).
    extra_codings   jsonb not null default '[]',
    display         jsonb not null,
    canonical_unit  text not null,
    units           jsonb not null,
    value_kind      text not null check (value_kind in ('quantity', 'coded', 'components')),
    min             double precision,
    max             double precision,
    options         jsonb not null default '[]',
    components      jsonb not null default '[]',
    attributes      jsonb not null default '{}',
    fhir_category   text not null default 'vital-signs'
);

insert into measurement_types
    (code, code_system, code_value, local, extra_codings, display, canonical_unit, units, value_kind, min, max,
     options, components, attributes, fhir_category)
values
('body_weight', 'http://loinc.org', '29463-7', false, '[]',
 '{"nb": "Vekt", "en": "Body weight"}', 'g',
 '{"g": {"factor": 1, "offset": 0}, "kg": {"factor": 1000, "offset": 0}}',
 'quantity', 300, 350000, '[]', '[]', '{}', 'vital-signs'),
('feeding_volume', 'urn:heima:measurement', 'feeding-volume', true, '[]',
 '{"nb": "Måltid (mengde)", "en": "Feed volume"}', 'mL',
 '{"mL": {"factor": 1, "offset": 0}, "L": {"factor": 1000, "offset": 0}}',
 'quantity', 0, 500, '[]', '[]',
 '{"route": {"type": "choice", "options": ["tube", "bottle", "breast"], "required": true}}', 'exam'),
('body_temperature', 'http://loinc.org', '8310-5', false, '[]',
 '{"nb": "Temperatur", "en": "Body temperature"}', 'Cel',
 '{"Cel": {"factor": 1, "offset": 0}, "[degF]": {"factor": 0.5555555555555556, "offset": -17.77777777777778}}',
 'quantity', 30, 45, '[]', '[]',
 '{"site": {"type": "choice", "options": ["axillary", "oral", "rectal", "tympanic", "forehead"], "required": false}}',
 'vital-signs'),
('spo2', 'http://loinc.org', '59408-5', false,
 '[{"system": "http://loinc.org", "code": "2708-6", "display": "Oxygen saturation in Arterial blood"}]',
 '{"nb": "Oksygenmetning", "en": "Oxygen saturation"}', '%',
 '{"%": {"factor": 1, "offset": 0}}',
 'quantity', 50, 100, '[]', '[]',
 '{"on_oxygen": {"type": "boolean", "required": false}}', 'vital-signs'),
('heart_rate', 'http://loinc.org', '8867-4', false, '[]',
 '{"nb": "Puls", "en": "Heart rate"}', '/min',
 '{"/min": {"factor": 1, "offset": 0}}',
 'quantity', 20, 300, '[]', '[]', '{}', 'vital-signs'),
('respiratory_rate', 'http://loinc.org', '9279-1', false, '[]',
 '{"nb": "Respirasjonsfrekvens", "en": "Respiratory rate"}', '/min',
 '{"/min": {"factor": 1, "offset": 0}}',
 'quantity', 2, 100, '[]', '[]', '{}', 'vital-signs'),
('blood_pressure', 'http://loinc.org', '85354-9', false, '[]',
 '{"nb": "Blodtrykk", "en": "Blood pressure"}', 'mm[Hg]',
 '{"mm[Hg]": {"factor": 1, "offset": 0}}',
 'components', null, null, '[]',
 '[{"name": "systolic", "code": "8480-6", "display": {"nb": "Systolisk", "en": "Systolic"}, "min": 40, "max": 300, "required": true},
   {"name": "diastolic", "code": "8462-4", "display": {"nb": "Diastolisk", "en": "Diastolic"}, "min": 20, "max": 200, "required": true}]',
 '{}', 'vital-signs'),
('ultrafiltration_volume', 'urn:heima:measurement', 'net-ultrafiltration', true, '[]',
 '{"nb": "Ultrafiltrasjon (netto)", "en": "Net ultrafiltration"}', 'mL',
 '{"mL": {"factor": 1, "offset": 0}, "L": {"factor": 1000, "offset": 0}}',
 'quantity', -5000, 10000, '[]', '[]', '{}', 'exam'),
('effluent_appearance', 'urn:heima:measurement', 'pd-effluent-appearance', true, '[]',
 '{"nb": "Utseende på dialysevæske", "en": "Dialysis effluent appearance"}', '1',
 '{"1": {"factor": 1, "offset": 0}}',
 'coded', null, null,
 '[{"code": "clear", "display": {"nb": "Klar", "en": "Clear"}}, {"code": "cloudy", "display": {"nb": "Uklar", "en": "Cloudy"}}]',
 '[]', '{}', 'exam'),
('wet_nappies', 'urn:heima:measurement', 'wet-nappies', true, '[]',
 '{"nb": "Våte bleier", "en": "Wet nappies"}', '{count}',
 '{"{count}": {"factor": 1, "offset": 0}}',
 'quantity', 0, 20, '[]', '[]', '{}', 'exam'),
('stools', 'urn:heima:measurement', 'stools', true, '[]',
 '{"nb": "Avføring", "en": "Stools"}', '{count}',
 '{"{count}": {"factor": 1, "offset": 0}}',
 'quantity', 0, 20, '[]', '[]', '{}', 'exam'),
('vomiting', 'urn:heima:measurement', 'vomiting-episodes', true, '[]',
 '{"nb": "Oppkast", "en": "Vomiting"}', '{episodes}',
 '{"{episodes}": {"factor": 1, "offset": 0}}',
 'quantity', 0, 20, '[]', '[]',
 '{"colour": {"type": "choice", "options": ["milky", "yellow", "green", "bloody"], "required": false},
   "size": {"type": "choice", "options": ["small", "large"], "required": false}}',
 'exam');

update programmes set measurement_types = '["body_weight", "feeding_volume", "body_temperature", "wet_nappies", "stools", "vomiting"]'
where code = 'premature-home';
update programmes set measurement_types = '["spo2", "heart_rate", "respiratory_rate", "body_temperature", "blood_pressure"]'
where code = 'copd';
update programmes set measurement_types = '["body_weight", "blood_pressure", "ultrafiltration_volume", "effluent_appearance", "body_temperature"]'
where code = 'home-dialysis';

-- A measurement as the phone sent it and as Heima understands it. The id is the client's: the
-- upload is idempotent by (patient, id), and `content_hash` tells a resend (same content) from a
-- conflict (same id, other content).
create table measurements (
    patient_id      uuid not null references patients (id),
    id              uuid not null,
    type            text not null references measurement_types (code),
    -- In the type's canonical unit; null for coded and component types.
    value           double precision,
    value_code      text,
    components      jsonb,
    unit            text not null,
    original_value  double precision,
    original_unit   text not null,
    attributes      jsonb not null default '{}',
    note            text,
    measured_at     timestamptz not null,
    received_at     timestamptz not null,
    recorded_by     uuid not null references users (id),
    recorder_role   text not null check (recorder_role in ('clinician', 'patient', 'guardian')),
    content_hash    bytea not null,
    primary key (patient_id, id),
    check ((value is not null)::int + (value_code is not null)::int + (components is not null)::int = 1)
);
-- Keyset pagination newest first, with or without a type filter: both stay index scans however
-- many rows a patient has.
create index measurements_patient_time_idx on measurements (patient_id, measured_at desc, id desc);
create index measurements_patient_type_time_idx on measurements (patient_id, type, measured_at desc, id desc);
