-- The three first programmes and the per-patient parameters their rules need (docs/clinical-rules.md).
-- Measurement types, forms and default rules are added to these rows by later migrations.
-- A parameter is {"name", "type": "number"|"integer"|"choice", "unit"?, "min"?, "max"?,
-- "options"?, "required", "text": {"nb", "en"}}.

insert into programmes (code, version, title, description, parameters) values
(
    'premature-home', 1,
    '{"nb": "Premature barn hjemme med sondeernæring", "en": "Premature infants at home on tube feeding"}',
    '{"nb": "Foreldre registrerer måltider, vekt, temperatur, bleier og bekymringer.", "en": "Parents register feeds, weight, temperature, nappies and worries."}',
    '[
      {"name": "birth_weight_g", "type": "integer", "unit": "g", "min": 300, "max": 6000, "required": true,
       "text": {"nb": "Fødselsvekt", "en": "Birth weight"}},
      {"name": "gestational_age_at_birth_weeks", "type": "integer", "unit": "wk", "min": 22, "max": 44, "required": false,
       "text": {"nb": "Svangerskapsuke ved fødsel", "en": "Gestational age at birth"}},
      {"name": "prescribed_ml_per_kg_day", "type": "number", "unit": "mL/kg/d", "min": 50, "max": 250, "required": false,
       "text": {"nb": "Forskrevet mengde (ml/kg/døgn)", "en": "Prescribed intake (mL/kg/day)"}}
    ]'
),
(
    'copd', 1,
    '{"nb": "KOLS", "en": "COPD"}',
    '{"nb": "Pasienten registrerer metning, puls, temperatur og symptomer.", "en": "The patient registers oxygen saturation, pulse, temperature and symptoms."}',
    '[
      {"name": "spo2_scale", "type": "choice", "options": [1, 2], "required": true,
       "text": {"nb": "NEWS2 SpO2-skala (2 kun ved bekreftet hyperkapnisk respirasjonssvikt)", "en": "NEWS2 SpO2 scale (2 only for confirmed hypercapnic respiratory failure)"}},
      {"name": "spo2_target_low", "type": "integer", "unit": "%", "min": 80, "max": 100, "required": false,
       "text": {"nb": "Nedre mål for metning", "en": "Lower SpO2 target"}},
      {"name": "spo2_target_high", "type": "integer", "unit": "%", "min": 80, "max": 100, "required": false,
       "text": {"nb": "Øvre mål for metning", "en": "Upper SpO2 target"}}
    ]'
),
(
    'home-dialysis', 1,
    '{"nb": "Hjemmedialyse", "en": "Home dialysis"}',
    '{"nb": "Pasienten registrerer vekt, blodtrykk, ultrafiltrasjon og utseende på dialysevæske.", "en": "The patient registers weight, blood pressure, ultrafiltration and effluent appearance."}',
    '[
      {"name": "dry_weight_kg", "type": "number", "unit": "kg", "min": 20, "max": 250, "required": true,
       "text": {"nb": "Tørrvekt", "en": "Dry weight"}},
      {"name": "modality", "type": "choice", "options": ["peritoneal", "haemodialysis"], "required": false,
       "text": {"nb": "Dialyseform", "en": "Dialysis modality"}}
    ]'
);
