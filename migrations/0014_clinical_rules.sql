-- Clinical rules, second round (issue 14): alerts that keep the words of their worst finding, and
-- per-patient parameters that change with a history.

-- How bad the finding behind an alert's title, explanation and patient text is: severity rank
-- × 100 plus the rule's tier within its group (an earlier rule of a group is the worse finding
-- at the same severity, e.g. "NEWS2 5 or more" before "a single parameter scores 3"). A new
-- breach takes over the texts only when it is at least this bad, so an alert's words always
-- describe its current severity and the worst finding that made it.
alter table alerts add column finding_rank smallint;
update alerts set finding_rank = severity_rank * 100;
alter table alerts alter column finding_rank set not null;

-- Parameters that change while a patient is followed (the nutrition plan, dry weight, SpO2 scale
-- and targets, home oxygen, dialysis modality and schedule), and new ones the rules read. Two
-- new parameter types: "boolean" (JSON true/false) and "weekdays" (a list of "mon".."sun").
update programmes set parameters = parameters || $json$[
  {"name": "feeding_phase", "type": "choice", "options": ["tube", "self_regulating"], "required": false,
   "text": {"nb": "Ernæringsfase (sonde, eller selvregulert etter at sondemat er avsluttet)",
            "en": "Feeding phase (tube, or self-regulating once tube feeds have stopped)"}},
  {"name": "growth_target", "type": "choice", "options": ["g_per_kg_day", "g_per_day"], "required": false,
   "text": {"nb": "Vektmål: g/kg/døgn, eller g/døgn for større barn",
            "en": "Growth target: g/kg/day, or g/day for larger infants"}},
  {"name": "nappy_logging", "type": "choice", "options": ["each", "daily"], "required": false,
   "text": {"nb": "Bleier registreres hver for seg, eller som antall per døgn",
            "en": "Nappies are registered one by one, or as a daily count"}}
]$json$::jsonb
where code = 'premature-home';

update programmes set parameters = parameters || $json$[
  {"name": "home_oxygen", "type": "boolean", "required": false,
   "text": {"nb": "Bruker oksygen hjemme (målinger som ikke sier noe annet, regnes som på oksygen)",
            "en": "On home oxygen (readings that do not say otherwise are scored as on oxygen)"}}
]$json$::jsonb
where code = 'copd';

update programmes set parameters = parameters || $json$[
  {"name": "session_days", "type": "weekdays", "required": false,
   "text": {"nb": "Behandlingsdager (tom: hver dag)", "en": "Session days (none: every day)"}}
]$json$::jsonb
where code = 'home-dialysis';

-- Every change of an enrolment's parameters, never edited: who, when, why, what the named
-- parameters were before and the whole set after. enrolments.parameters is the newest set (what
-- every reader, the rules among them, uses from the moment it changes); the enrolment's own
-- creation is its first version.
create table enrolment_parameter_changes (
    id            bigint generated always as identity primary key,
    enrolment_id  uuid not null references enrolments (id),
    patient_id    uuid not null references patients (id),
    parameters    jsonb not null check (jsonb_typeof(parameters) = 'object'),
    previous      jsonb not null check (jsonb_typeof(previous) = 'object'),
    reason        text not null check (length(btrim(reason)) between 1 and 1000),
    changed_by    uuid not null references users (id),
    changed_at    timestamptz not null
);
create index enrolment_parameter_changes_idx on enrolment_parameter_changes (enrolment_id, changed_at desc, id);

-- Haemodialysis weighs before and after each session: interdialytic weight gain is the pre-dialysis
-- weight less the last post-dialysis one, so a weight may say which it is.
update measurement_types
set attributes = attributes || '{"timing": {"type": "choice", "options": ["pre_dialysis", "post_dialysis"], "required": false}}'::jsonb
where code = 'body_weight';

-- The PD session asks for the symptoms that make a weight gain or a low blood pressure urgent
-- (docs/clinical-rules.md, C3); the new home haemodialysis session form weighs before and after.
insert into forms (code, version, programme, definition) values
('pd-session', 2, 'home-dialysis', $json$
{
  "title": {"nb": "PD-behandling", "en": "PD session"},
  "description": {
    "nb": "Er væsken uklar, ring avdelingen samme dag og ta med posen.",
    "en": "If the fluid is cloudy, call the unit the same day and bring the bag."
  },
  "items": [
    {"link_id": "effluent", "type": "choice", "required": true, "unit": "1",
     "measurement_type": "effluent_appearance",
     "text": {"nb": "Hvordan så dialysevæsken ut da du tappet ut?", "en": "What did the drained fluid look like?"},
     "options": [
       {"code": "clear", "text": {"nb": "Klar", "en": "Clear"}},
       {"code": "cloudy", "text": {"nb": "Uklar", "en": "Cloudy"}}
     ]},
    {"link_id": "abdominal_pain", "type": "boolean", "required": true,
     "text": {"nb": "Har du vondt i magen?", "en": "Do you have abdominal pain?"}},
    {"link_id": "net_uf", "type": "integer", "required": true, "min": -5000, "max": 10000, "unit": "mL",
     "measurement_type": "ultrafiltration_volume",
     "text": {"nb": "Netto ultrafiltrasjon (ml)", "en": "Net ultrafiltration (mL)"}},
    {"link_id": "weight", "type": "decimal", "required": false, "min": 20, "max": 250, "unit": "kg",
     "measurement_type": "body_weight",
     "text": {"nb": "Vekt (kg)", "en": "Weight (kg)"}},
    {"link_id": "breathless", "type": "boolean", "required": true,
     "text": {"nb": "Er du mer tungpustet enn vanlig?", "en": "Are you more short of breath than usual?"}},
    {"link_id": "oedema", "type": "boolean", "required": true,
     "text": {"nb": "Er føttene eller leggene mer hovne enn vanlig?", "en": "Are your feet or legs more swollen than usual?"}},
    {"link_id": "dizzy", "type": "boolean", "required": true,
     "text": {"nb": "Har du vært svimmel eller nær ved å besvime?", "en": "Have you felt dizzy or faint?"}}
  ]
}
$json$),
('hd-session', 1, 'home-dialysis', $json$
{
  "title": {"nb": "Hemodialyse hjemme", "en": "Home haemodialysis session"},
  "description": {
    "nb": "Fyll ut etter hver behandling. Blir du akutt dårlig, ring 113.",
    "en": "Fill in after each session. If you become acutely unwell, call 113."
  },
  "items": [
    {"link_id": "pre_weight", "type": "decimal", "required": true, "min": 20, "max": 250, "unit": "kg",
     "measurement_type": "body_weight", "measurement_attributes": {"timing": "pre_dialysis"},
     "text": {"nb": "Vekt før behandlingen (kg)", "en": "Weight before the session (kg)"}},
    {"link_id": "post_weight", "type": "decimal", "required": false, "min": 20, "max": 250, "unit": "kg",
     "measurement_type": "body_weight", "measurement_attributes": {"timing": "post_dialysis"},
     "text": {"nb": "Vekt etter behandlingen (kg)", "en": "Weight after the session (kg)"}},
    {"link_id": "breathless", "type": "boolean", "required": true,
     "text": {"nb": "Er du mer tungpustet enn vanlig?", "en": "Are you more short of breath than usual?"}},
    {"link_id": "oedema", "type": "boolean", "required": true,
     "text": {"nb": "Er føttene eller leggene mer hovne enn vanlig?", "en": "Are your feet or legs more swollen than usual?"}},
    {"link_id": "dizzy", "type": "boolean", "required": true,
     "text": {"nb": "Har du vært svimmel eller nær ved å besvime?", "en": "Have you felt dizzy or faint?"}},
    {"link_id": "note", "type": "text", "required": false, "max_length": 2000,
     "text": {"nb": "Er det noe annet du vil fortelle oss?", "en": "Is there anything else you want to tell us?"}}
  ]
}
$json$);

update programmes set forms = '[{"code": "pd-session"}, {"code": "hd-session"}]'
where code = 'home-dialysis';
