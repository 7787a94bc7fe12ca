-- Self-registration forms, their responses, and patients' requests to be contacted.
--
-- A form is versioned data: a change is a new (code, version) row and old versions stay, because
-- a phone that was offline may still send answers to the version it showed, and old responses
-- must keep validating against the version they were written for. GET /forms shows the newest
-- version of each form of the patient's programmes.
--
-- definition = {"title": {"nb","en"}, "description"?: {"nb","en"}, "items": [item, ...],
--               "score"?: {"method": "sum", "items": [link_id, ...]}}
-- item       = {"link_id", "text": {"nb","en"}, "type": "boolean"|"integer"|"decimal"|"choice"|"text",
--               "required", "min"?, "max"?, "max_length"? (text), "unit"? (UCUM),
--               "options"? (choice: [{"code", "text": {"nb","en"}}]),
--               "measurement_type"? (the answer is also stored as that measurement),
--               "measurement_attributes"? (fixed attributes of that measurement)}
-- A mapped item's unit must be one its measurement type accepts and its range must lie within the
-- type's possible range (tests/forms/test_definitions.py checks every version against the catalogue).

create table forms (
    code        text not null,
    version     integer not null check (version >= 1),
    programme   text not null references programmes (code),
    definition  jsonb not null check (jsonb_typeof(definition -> 'items') = 'array'),
    primary key (code, version)
);

insert into forms (code, version, programme, definition) values
-- Premature infants at home (docs/clinical-rules.md, C1). Bilious (green) vomit is a surgical emergency until
-- proven otherwise and a tube that may be out of place needs a call to the unit, so both are asked
-- every day rather than left to the free text.
('premature-daily', 1, 'premature-home', $json$
{
  "title": {"nb": "Daglig sjekk", "en": "Daily check"},
  "description": {
    "nb": "Fyll ut én gang i døgnet. Er barnet akutt sykt, ring 113.",
    "en": "Fill in once a day. If your baby is acutely ill, call 113."
  },
  "items": [
    {"link_id": "tube_problem", "type": "boolean", "required": true,
     "text": {"nb": "Har det vært problemer med sonden siste døgn (løsnet, trukket ut, eller du er usikker på om den ligger riktig)?",
              "en": "Has there been a problem with the feeding tube in the last 24 hours (come loose, pulled out, or you are unsure it is in the right place)?"}},
    {"link_id": "vomit_colour", "type": "choice", "required": true,
     "text": {"nb": "Har barnet kastet opp siste døgn? Velg fargen på oppkastet.",
              "en": "Has your baby vomited in the last 24 hours? Choose the colour of the vomit."},
     "options": [
       {"code": "none", "text": {"nb": "Har ikke kastet opp", "en": "No vomiting"}},
       {"code": "milky", "text": {"nb": "Melkeaktig", "en": "Milky"}},
       {"code": "yellow", "text": {"nb": "Gul", "en": "Yellow"}},
       {"code": "green", "text": {"nb": "Grønn (galle)", "en": "Green (bile)"}},
       {"code": "bloody", "text": {"nb": "Med blod", "en": "With blood"}}
     ]},
    {"link_id": "wet_nappies", "type": "integer", "required": true, "min": 0, "max": 20, "unit": "{count}",
     "measurement_type": "wet_nappies",
     "text": {"nb": "Hvor mange våte bleier siste 24 timer?", "en": "How many wet nappies in the last 24 hours?"}},
    {"link_id": "temperature", "type": "decimal", "required": false, "min": 30, "max": 45, "unit": "Cel",
     "measurement_type": "body_temperature", "measurement_attributes": {"site": "axillary"},
     "text": {"nb": "Temperatur målt i armhulen (°C)", "en": "Temperature measured in the armpit (°C)"}},
    {"link_id": "note", "type": "text", "required": false, "max_length": 2000,
     "text": {"nb": "Er det noe annet du vil fortelle oss?", "en": "Is there anything else you want to tell us?"}}
  ]
}
$json$),
-- Parents' worry is a valid sign in its own right (NICE NG143); the button is always urgent review.
('premature-worried', 1, 'premature-home', $json$
{
  "title": {"nb": "Jeg er bekymret", "en": "I am worried"},
  "description": {
    "nb": "Vi ser på det så snart vi kan. Er barnet akutt sykt, ring 113.",
    "en": "We will look at it as soon as we can. If your baby is acutely ill, call 113."
  },
  "items": [
    {"link_id": "worried", "type": "boolean", "required": true,
     "text": {"nb": "Jeg er bekymret for barnet mitt", "en": "I am worried about my baby"}},
    {"link_id": "details", "type": "text", "required": false, "max_length": 2000,
     "text": {"nb": "Fortell gjerne hva du er bekymret for", "en": "Tell us what worries you, if you like"}}
  ]
}
$json$),
-- COPD (docs/clinical-rules.md, C2): Anthonisen-type symptoms, and new confusion because NEWS2 scores it 3.
('copd-symptom-diary', 1, 'copd', $json$
{
  "title": {"nb": "Symptomdagbok", "en": "Symptom diary"},
  "items": [
    {"link_id": "more_breathless", "type": "boolean", "required": true,
     "text": {"nb": "Er du mer tungpustet enn vanlig?", "en": "Are you more short of breath than usual?"}},
    {"link_id": "sputum_colour_changed", "type": "boolean", "required": true,
     "text": {"nb": "Har slimet du hoster opp endret farge, for eksempel blitt gult eller grønt?",
              "en": "Has the phlegm you cough up changed colour, for example to yellow or green?"}},
    {"link_id": "sputum_volume_increased", "type": "boolean", "required": true,
     "text": {"nb": "Hoster du opp mer slim enn vanlig?", "en": "Are you coughing up more phlegm than usual?"}},
    {"link_id": "new_confusion", "type": "boolean", "required": true,
     "text": {"nb": "Har du eller de rundt deg merket at du er mer forvirret eller uklar enn vanlig?",
              "en": "Have you or those around you noticed that you are more confused or muddled than usual?"}},
    {"link_id": "spo2", "type": "integer", "required": false, "min": 50, "max": 100, "unit": "%",
     "measurement_type": "spo2",
     "text": {"nb": "Oksygenmetning (%), hvis du har målt den", "en": "Oxygen saturation (%), if you measured it"}},
    {"link_id": "heart_rate", "type": "integer", "required": false, "min": 20, "max": 300, "unit": "/min",
     "measurement_type": "heart_rate",
     "text": {"nb": "Puls (slag per minutt), hvis du har målt den", "en": "Pulse (beats per minute), if you measured it"}}
  ]
}
$json$),
-- A weekly wellbeing score in our own words: 8 items 0–5, total 0–40. It is NOT the COPD
-- Assessment Test (CAT is © GSK, licence needed) and is not validated, so CAT's bands and its
-- MCID of 2 (docs/clinical-rules.md, C2) must not be read into it without review. The seam for the licensed
-- CAT is this same table: once licensed, a migration adds it as a form of its own (e.g.
-- 'copd-cat') with the licensed texts; no code changes.
('copd-weekly-wellbeing', 1, 'copd', $json$
{
  "title": {"nb": "Ukentlig trivselsskår", "en": "Weekly wellbeing score"},
  "description": {
    "nb": "Tenk på den siste uken. Svar fra 0 (ikke i det hele tatt) til 5 (svært mye).",
    "en": "Think about the past week. Answer from 0 (not at all) to 5 (very much)."
  },
  "score": {"method": "sum", "items": ["breath_at_rest", "breath_daily_tasks", "cough", "mucus",
                                       "tiredness", "sleep", "worry", "social"]},
  "items": [
    {"link_id": "breath_at_rest", "type": "integer", "required": true, "min": 0, "max": 5,
     "text": {"nb": "Hvor mye har pusten plaget deg når du har sittet i ro?",
              "en": "How much has your breathing bothered you while sitting still?"}},
    {"link_id": "breath_daily_tasks", "type": "integer", "required": true, "min": 0, "max": 5,
     "text": {"nb": "Hvor mye har pusten plaget deg i daglige gjøremål, som å vaske deg eller kle på deg?",
              "en": "How much has your breathing bothered you in everyday tasks, such as washing or dressing?"}},
    {"link_id": "cough", "type": "integer", "required": true, "min": 0, "max": 5,
     "text": {"nb": "Hvor mye har hosten plaget deg?", "en": "How much has coughing bothered you?"}},
    {"link_id": "mucus", "type": "integer", "required": true, "min": 0, "max": 5,
     "text": {"nb": "Hvor mye har slim i luftveiene plaget deg?", "en": "How much has mucus in your airways bothered you?"}},
    {"link_id": "tiredness", "type": "integer", "required": true, "min": 0, "max": 5,
     "text": {"nb": "Hvor sliten eller tom for krefter har du følt deg?", "en": "How tired or drained have you felt?"}},
    {"link_id": "sleep", "type": "integer", "required": true, "min": 0, "max": 5,
     "text": {"nb": "Hvor mye har lungeplagene forstyrret søvnen din?", "en": "How much have your lung problems disturbed your sleep?"}},
    {"link_id": "worry", "type": "integer", "required": true, "min": 0, "max": 5,
     "text": {"nb": "Hvor mye har du bekymret deg for pusten eller helsen din?",
              "en": "How much have you worried about your breathing or your health?"}},
    {"link_id": "social", "type": "integer", "required": true, "min": 0, "max": 5,
     "text": {"nb": "Hvor mye har lungeplagene hindret deg i å treffe andre eller gjøre ting du liker?",
              "en": "How much have your lung problems kept you from seeing people or doing things you enjoy?"}}
  ]
}
$json$),
-- Peritoneal dialysis (docs/clinical-rules.md, C3): cloudy effluent and abdominal pain are the patient-visible
-- signs of peritonitis (ISPD), asked at every session; UF and weight track fluid balance.
('pd-session', 1, 'home-dialysis', $json$
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
     "text": {"nb": "Vekt (kg)", "en": "Weight (kg)"}}
  ]
}
$json$);

-- The programme catalogue names its forms. Entries are objects (GET /programmes reads `forms` as a
-- list of objects); the definitions themselves live only in `forms`.
update programmes set forms = '[{"code": "premature-daily"}, {"code": "premature-worried"}]'
where code = 'premature-home';
update programmes set forms = '[{"code": "copd-symptom-diary"}, {"code": "copd-weekly-wellbeing"}]'
where code = 'copd';
update programmes set forms = '[{"code": "pd-session"}]'
where code = 'home-dialysis';

-- A response as the phone sent it. The id is the client's: the upload is idempotent by
-- (patient, id), and `content_hash` tells a resend from a conflict. Answers that map to a
-- measurement type are also stored as measurements (`measurement_ids`, in item order).
-- The FHIR export reads this table as QuestionnaireResponses: keep the columns stable.
create table form_responses (
    patient_id       uuid not null references patients (id),
    id               uuid not null,
    form             text not null,
    version          integer not null,
    authored_at      timestamptz not null,
    received_at      timestamptz not null,
    answers          jsonb not null check (jsonb_typeof(answers) = 'object'),
    score            double precision,
    measurement_ids  uuid[] not null default '{}',
    recorded_by      uuid not null references users (id),
    recorder_role    text not null check (recorder_role in ('clinician', 'patient', 'guardian')),
    content_hash     bytea not null,
    primary key (patient_id, id),
    foreign key (form, version) references forms (code, version)
);
create index form_responses_patient_time_idx on form_responses (patient_id, authored_at desc);

-- "Hospital when you need it": a patient or guardian asks to be contacted. Until alerting exists
-- these are the clinicians' worklist (GET .../contact-requests?status=open); an open request
-- stays open until a clinician marks it handled, so none is lost. The id may be the client's
-- (idempotent resend).
create table contact_requests (
    id            uuid primary key,
    patient_id    uuid not null references patients (id),
    message       text not null check (length(message) between 1 and 2000),
    created_by    uuid not null references users (id),
    created_role  text not null check (created_role in ('clinician', 'patient', 'guardian')),
    created_at    timestamptz not null,
    status        text not null default 'open' check (status in ('open', 'handled')),
    handled_by    uuid references users (id),
    handled_at    timestamptz,
    check ((status = 'handled') = (handled_by is not null and handled_at is not null))
);
create index contact_requests_patient_idx on contact_requests (patient_id, created_at desc, id desc);
create index contact_requests_open_idx on contact_requests (patient_id, created_at) where status = 'open';
