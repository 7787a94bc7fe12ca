-- Alerts: per-patient rule overrides, the alerts a rule raises with their history, and the outbox of
-- Web Push deliveries the worker sends (docs/architecture.md, "Data paths", docs/reliability.md,
-- D1–D4). An upload stores its measurements, its alerts and their pending deliveries in one
-- transaction; `pg_notify('heima_alerts', …)` in that transaction wakes the worker on commit.

-- A clinician's change to one rule for one patient. Never updated in place: a new setting
-- supersedes the current one (superseded_at), so the history says who set what, when and why.
-- params are merged over the programme default's; a null severity or enabled keeps the default's.
-- After expires_at the programme default applies again.
create table patient_rule_overrides (
    id             uuid primary key,
    patient_id     uuid not null references patients (id),
    rule_code      text not null check (length(rule_code) between 1 and 64),
    params         jsonb not null default '{}' check (jsonb_typeof(params) = 'object'),
    severity       text check (severity in ('low', 'medium', 'high')),
    enabled        boolean,
    reason         text not null check (length(btrim(reason)) between 1 and 1000),
    set_by         uuid not null references users (id),
    set_at         timestamptz not null,
    expires_at     timestamptz,
    superseded_at  timestamptz,
    check (expires_at is null or expires_at > set_at),
    check (superseded_at is null or superseded_at >= set_at)
);
-- At most one current setting per rule: two clinicians saving at once cannot both win (409).
create unique index patient_rule_overrides_current_key on patient_rule_overrides (patient_id, rule_code)
    where superseded_at is null;
create index patient_rule_overrides_history_idx on patient_rule_overrides (patient_id, rule_code, set_at desc);

create table alerts (
    id                      uuid primary key,
    patient_id              uuid not null references patients (id),
    -- The rule that raised the alert (the most severe one seen while it is open), and the key that
    -- keeps it one alert: the rule's group when it has one (tiers of one finding, such as
    -- temperature < 36.5 and < 36.0, or the NEWS2 bands), else the rule code. A breach of a more
    -- severe tier raises the severity of the open alert instead of opening a second one.
    rule_code               text not null,
    rule_key                text not null,
    rule_kind               text not null check (rule_kind in ('threshold', 'trend', 'missing', 'answer')),
    rule_source             text not null check (rule_source in ('programme', 'patient')),
    severity                text not null check (severity in ('low', 'medium', 'high')),
    severity_rank           smallint generated always as (
                                case severity when 'high' then 3 when 'medium' then 2 else 1 end) stored,
    status                  text not null default 'open' check (status in ('open', 'acknowledged', 'resolved')),
    title                   text not null,
    -- For the clinician: values, rule, threshold, and whether the threshold is the programme
    -- default or this patient's override (who set it and why). Describes the latest breach.
    explanation             text not null,
    -- For the patient or parent, {"nb", "en"}.
    patient_text            jsonb not null check (jsonb_typeof(patient_text -> 'nb') = 'string'
                                                  and jsonb_typeof(patient_text -> 'en') = 'string'),
    -- What the alert rests on (the most recent 200 of each, see append_ids).
    measurement_ids         uuid[] not null default '{}',
    form_response_ids       uuid[] not null default '{}',
    contact_request_ids     uuid[] not null default '{}',
    -- A number, a code or a boolean; worst over the alert's life, and the latest.
    worst_value             jsonb,
    latest_value            jsonb,
    unit                    text,
    -- When the latest breach was measured (null for missing data).
    observed_at             timestamptz,
    occurrences             integer not null default 1 check (occurrences >= 1),
    -- Lifecycle times come from the service's clock (tests move it).
    raised_at               timestamptz not null,
    last_seen_at            timestamptz not null,
    -- The latest breach was measured long before it reached us (a phone that was offline).
    late                    boolean not null default false,
    acknowledged_by         uuid references users (id),
    acknowledged_at         timestamptz,
    -- resolved_at without resolved_by: Heima resolved it (missing data that arrived).
    resolved_by             uuid references users (id),
    resolved_at             timestamptz,
    resolution_note         text check (length(resolution_note) <= 2000),
    -- Latency stamps of the raise, in the database server's real time (not the service clock):
    -- received_at the start of the uploading transaction, evaluated_at when the decision was
    -- written, committed_at stamped at COMMIT by the deferred trigger below; the worker sets the
    -- push stamps. Differences between them are what /metrics and the P4 benchmark report.
    received_at             timestamptz not null,
    evaluated_at            timestamptz not null,
    committed_at            timestamptz,
    first_push_sent_at      timestamptz,
    first_push_accepted_at  timestamptz,
    check (last_seen_at >= raised_at),
    check ((status = 'resolved') = (resolved_at is not null)),
    check (status <> 'acknowledged' or (acknowledged_by is not null and acknowledged_at is not null)),
    check ((acknowledged_by is null) = (acknowledged_at is null)),
    check (resolved_by is null or resolved_at is not null)
);
-- The lifecycle's one rule: at most one alert per patient and rule key that is not resolved. The
-- evaluation's INSERT … ON CONFLICT (patient_id, rule_key) WHERE status <> 'resolved' DO UPDATE
-- relies on it, which is also what makes two concurrent uploads update one alert.
create unique index alerts_one_unresolved_key on alerts (patient_id, rule_key) where status <> 'resolved';
-- Worklists and the patient's own list, including resolved alerts.
create index alerts_patient_idx on alerts (patient_id, raised_at desc);

-- Stamp committed_at when the raising transaction commits. A deferred constraint trigger runs at
-- COMMIT, after every statement of the transaction, so clock_timestamp() there is the commit time
-- (less the WAL flush). The UPDATE touches an unindexed column (a HOT update) and fires nothing.
create function alerts_stamp_committed() returns trigger language plpgsql as $$
begin
    update alerts set committed_at = clock_timestamp() where id = new.id and committed_at is null;
    return null;
end
$$;
create constraint trigger alerts_committed_at after insert on alerts
    deferrable initially deferred for each row execute function alerts_stamp_committed();

-- The ids an alert rests on: the union of both lists, each id once, most recent `keep` kept, in the
-- order they were last seen. A long-open alert must not grow without bound.
create function append_ids(old uuid[], new uuid[], keep integer) returns uuid[]
language sql immutable as $$
    select coalesce(array_agg(x order by pos), '{}')
    from (select x, max(pos) as pos
          from unnest(old || new) with ordinality as t(x, pos)
          group by x
          order by max(pos) desc
          limit keep) as kept
$$;

-- What happened to an alert, in order: raised, updated by a new breach, acknowledged, resolved,
-- escalated (the worker). actor_id null: Heima itself.
create table alert_events (
    id        bigint generated always as identity primary key,
    alert_id  uuid not null references alerts (id),
    at        timestamptz not null,
    kind      text not null check (kind in ('raise', 'update', 'acknowledge', 'resolve', 'escalate')),
    actor_id  uuid references users (id),
    severity  text not null check (severity in ('low', 'medium', 'high')),
    note      text,
    details   jsonb not null default '{}' check (jsonb_typeof(details) = 'object')
);
create index alert_events_alert_idx on alert_events (alert_id, id);

-- The outbox: one row per clinician to notify about an alert. Written in the raising transaction
-- (a new alert, or a severity increase), so a committed alert always has its deliveries; the
-- worker claims due rows with FOR UPDATE SKIP LOCKED:
--   pending   → due at next_attempt_at
--   sending   → claimed; locked_until is the lease. The claim also moves next_attempt_at to the
--               lease's end, so a worker that died mid-send leaves a row that is simply due again.
--   sent      → the push service accepted it (sent_at)
--   failed    → given up (last_error); escalation takes over
--   cancelled → the alert was acknowledged or resolved before it went out
create table push_deliveries (
    id               uuid primary key,
    alert_id         uuid not null references alerts (id),
    user_id          uuid not null references users (id),
    status           text not null default 'pending'
                     check (status in ('pending', 'sending', 'sent', 'failed', 'cancelled')),
    -- The severity this delivery announces: a more severe breach of an open alert is pushed again.
    severity         text not null check (severity in ('low', 'medium', 'high')),
    attempts         integer not null default 0 check (attempts >= 0),
    next_attempt_at  timestamptz not null,
    locked_until     timestamptz,
    last_error       text,
    created_at       timestamptz not null,
    sent_at          timestamptz,
    -- 0: the unit's clinicians on the raise; the worker's escalation adds higher steps.
    escalation_step  smallint not null default 0 check (escalation_step >= 0),
    check (status <> 'sent' or sent_at is not null),
    check (status <> 'sending' or locked_until is not null)
);
-- The worker's claim: status = any('{pending,sending}') and next_attempt_at <= now, oldest first.
create index push_deliveries_claim_idx on push_deliveries (status, next_attempt_at);
create index push_deliveries_alert_idx on push_deliveries (alert_id);
