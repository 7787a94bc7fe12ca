-- The delivery worker (alerting/worker.py): every push attempt, how far an unacknowledged alert
-- has escalated, and the marks that let the missing-data sweep raise once per rule, patient and gap.

-- One row per POST to a push service (or per claim that found nobody to send to), whatever came
-- of it: the receipt a clinician's "I never got it" is checked against. A delivery (one clinician)
-- fans out to that clinician's subscriptions, so one attempt of a delivery may have several rows.
create table push_attempts (
    id                   bigint generated always as identity primary key,
    delivery_id          uuid not null references push_deliveries (id),
    -- push_deliveries.attempts when the worker claimed it: which claim made this attempt.
    attempt              integer not null check (attempt >= 1),
    -- No foreign key: the receipt outlives a subscription the push service said is gone.
    subscription_id      uuid,
    -- The push service's host only: the endpoint URL itself is a capability, not for logs.
    push_service         text,
    -- The worker's clock (the one its decisions use), like the deliveries' other times.
    at                   timestamptz not null,
    duration_ms          double precision not null check (duration_ms >= 0),
    outcome              text not null check (outcome in (
                             'delivered', 'gone', 'rate_limited', 'retry', 'rejected', 'refused',
                             'no_subscription')),
    http_status          smallint,
    retry_after_seconds  double precision,
    detail               text check (length(detail) <= 500)
);
-- The claim reads which subscriptions of a delivery are done (delivered, gone, refused).
create index push_attempts_delivery_idx on push_attempts (delivery_id, subscription_id);

-- Escalation (alerting/escalation.py): the step an open high alert has reached (0: the unit's
-- clinicians when it was raised) and when it took the last one. The worker moves the step with a
-- compare-and-set on this row, so two workers never escalate one alert twice.
alter table alerts
    add column escalation_step smallint not null default 0 check (escalation_step >= 0),
    add column escalated_at timestamptz;
create index alerts_open_high_idx on alerts (raised_at) where status = 'open' and severity = 'high';

-- What the worker's sweeps have dealt with, once per rule, patient and period. A missing-data rule
-- is raised once per gap (`period`: the last registration it counted from, or the start of
-- monitoring), so a clinician who resolves the alert while the data is still missing is not paged
-- again for the same gap, and data that arrives starts a new one. A whole-day rule (intake of
-- plan) is judged once per local day (`period`: the day's start). The primary key settles two
-- workers sweeping at once.
create table alert_sweep_marks (
    patient_id  uuid not null references patients (id),
    rule_code   text not null,
    period      timestamptz not null,
    marked_at   timestamptz not null,
    primary key (patient_id, rule_code, period)
);
