-- Issue 15, the rest of "families are told": a gentle reminder to the family's phones when a
-- registration the programme expects is due but not yet missing (the worker's sweep), and a push
-- to the family and the participants when a meeting is about to start. Each kind can be turned off
-- per patient or guardian, as `seen` and `handled` can.
--   reminder  a patient's or guardian's phone: a registration is due ({"type":"reminder","patient_id"})
--   meeting   a meeting of the patient starts soon ({"type":"meeting","meeting_id"})
alter table push_deliveries
    drop constraint push_deliveries_kind_check,
    add constraint push_deliveries_kind_check
        check (kind in ('alert', 'digest', 'seen', 'handled', 'reminder', 'meeting')),
    add column patient_id uuid references patients (id),
    add column meeting_id uuid references meetings (id),
    drop constraint push_deliveries_subject_check,
    -- Each kind names exactly its subject: an alert, a contact request, a patient or a meeting.
    add constraint push_deliveries_subject_check check (
        (kind = 'handled') = (contact_request_id is not null)
        and (kind = 'reminder') = (patient_id is not null)
        and (kind = 'meeting') = (meeting_id is not null)
        and (kind in ('handled', 'reminder', 'meeting')) = (alert_id is null));

alter table family_notification_settings
    drop constraint family_notification_settings_kind_check,
    add constraint family_notification_settings_kind_check
        check (kind in ('seen', 'handled', 'reminder', 'meeting'));

-- Set once, by the worker that pushed "starting soon" (a compare-and-set: one worker only).
alter table meetings add column starting_pushed_at timestamptz;
create index meetings_starting_soon_idx on meetings (starts_at) where starting_pushed_at is null and ended_at is null;

-- The clinicians' alert title in bokmål beside the English one (alerting/engine/texts.py,
-- TITLES_NB). Null for alerts raised before: readers fall back to `title`.
alter table alerts add column title_nb text;
