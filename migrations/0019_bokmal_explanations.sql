-- The clinicians' alert explanation in bokmål beside the English one, written with it from the
-- same finding (alerting/engine/phrasebook.py, texts.explanation). Null for alerts raised before:
-- readers fall back to `explanation`.
alter table alerts add column explanation_nb text;
