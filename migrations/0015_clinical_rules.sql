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
