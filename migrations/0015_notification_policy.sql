-- Who is told of an alert, and when (alerting/notify): a unit's notification policy with its
-- history, re-notification of unacknowledged alerts, the morning digest of low alerts, and the
-- pushes that tell a family their care team has seen what they sent.

-- A unit's policy: staffed hours in the unit's zone, who gets which severity in and out of them,
-- the on-call list, the repeat and escalation timers, and the unit's phone for the family's
-- promise (units.contact_within_hours, migration 0013, is the answer-time half of that promise).
-- Never updated in place: a new policy supersedes the current one, so the history says who set
-- what, when and why. A unit without a row follows the built-in default (alerting/notify/policy.py).
create table unit_notification_policies (
    id             uuid primary key,
    unit_id        uuid not null references units (id),
    policy         jsonb not null check (jsonb_typeof(policy) = 'object'),
    -- The promise as it was set with this policy (units.contact_within_hours is the current one).
    contact_within_hours  integer check (contact_within_hours between 1 and 168),
    reason         text not null check (length(btrim(reason)) between 1 and 1000),
    set_by         uuid not null references users (id),
    set_at         timestamptz not null,
    superseded_at  timestamptz,
    check (superseded_at is null or superseded_at >= set_at)
);
-- One current policy per unit: two people saving at once cannot both win (409).
create unique index unit_notification_policies_current_key on unit_notification_policies (unit_id)
    where superseded_at is null;
create index unit_notification_policies_history_idx on unit_notification_policies (unit_id, set_at desc);

-- A delivery is now one of several kinds of push:
--   alert    a clinician is told of an alert (at the raise, a repeat or an escalation)
--   digest   a low alert raised outside staffed hours, sent with the others in one morning push
--   seen     a patient's or guardian's phone: a clinician acknowledged one of the patient's alerts
--   handled  a patient's or guardian's phone: a clinician handled their contact request
-- The family kinds carry no alert severity of their own; `severity` keeps the alert's for sorting.
alter table push_deliveries
    add column kind text not null default 'alert' check (kind in ('alert', 'digest', 'seen', 'handled')),
    -- No foreign key: contact-request ids are keyed per patient (migration 0010).
    add column contact_request_id uuid,
    alter column alert_id drop not null,
    add constraint push_deliveries_subject_check check (
        (kind = 'handled') = (contact_request_id is not null) and (kind = 'handled') = (alert_id is null));

-- How many times the worker re-notified an alert's current circle: the compare-and-set that lets
-- one worker only take each repeat.
alter table alerts add column repeats integer not null default 0 check (repeats >= 0);
create index alerts_open_urgent_idx on alerts (raised_at) where status = 'open' and severity_rank >= 2;

alter table alert_events drop constraint alert_events_kind_check;
alter table alert_events add constraint alert_events_kind_check
    check (kind in ('raise', 'update', 'acknowledge', 'resolve', 'escalate', 'repeat'));

-- Whether anybody could be told of an alert, for the worklist: `delivered` (a push service
-- accepted a push of it), `digest` (a low alert waiting for the morning digest), `sending`
-- (pushes not settled yet), `unreachable` (every push failed or there was nobody to push to).
create function alert_reach(alert uuid) returns text language sql stable as $$
    select case
        when bool_or(d.status = 'sent') then 'delivered'
        when bool_or(d.kind = 'digest' and d.status = any('{pending,sending}'::text[])) then 'digest'
        when bool_or(d.status = any('{pending,sending}'::text[])) then 'sending'
        else 'unreachable' end
    from push_deliveries d
    where d.alert_id = alert and d.kind = any('{alert,digest}'::text[])
$$;

-- What a patient or guardian has turned off: pushes of these kinds are not sent to them.
create table family_notification_settings (
    user_id     uuid not null references users (id),
    kind        text not null check (kind in ('seen', 'handled')),
    enabled     boolean not null,
    updated_at  timestamptz not null,
    primary key (user_id, kind)
);
