-- name: select_evaluation_context
-- Everything evaluation needs about a patient at $2 in one round trip: the programmes followed
-- now (with their parameters), the current unexpired overrides with who set them, and the open
-- missing-data alerts that arriving data may resolve. No row: no such patient. Also read in the
-- statement that inserts a few measurements (service.with_evaluation_context: $1 and $2 are theirs too).
select p.time_zone, p.birth_date,
       coalesce((
           select jsonb_agg(jsonb_build_object(
                      'programme', e.programme, 'parameters', e.parameters, 'started_at', e.started_at)
                  order by e.started_at, e.id)
           from enrolments e
           where e.patient_id = p.id and e.started_at <= $2 and (e.ended_at is null or e.ended_at > $2)),
           '[]') as enrolments,
       coalesce((
           select jsonb_agg(jsonb_build_object(
                      'id', o.id, 'rule_code', o.rule_code, 'params', o.params, 'severity', o.severity,
                      'enabled', o.enabled, 'reason', o.reason, 'set_by', o.set_by,
                      'set_by_name', u.display_name, 'set_at', o.set_at, 'expires_at', o.expires_at)
                  order by o.rule_code)
           from patient_rule_overrides o join users u on u.id = o.set_by
           where o.patient_id = p.id and o.superseded_at is null and (o.expires_at is null or o.expires_at > $2)),
           '[]') as overrides,
       coalesce((
           select jsonb_agg(jsonb_build_object('id', a.id, 'rule_code', a.rule_code) order by a.raised_at)
           from alerts a
           where a.patient_id = p.id and a.status <> 'resolved' and a.rule_kind = 'missing'),
           '[]') as open_missing
from patients p
where p.id = $1

-- name: select_history_measurements
-- $3 the types to read (null: every type). The new rows come back too; the engine merges by id.
select id, type, value, value_code, components, attributes, note, measured_at
from measurements
where patient_id = $1 and measured_at >= $2 and ($3::text[] is null or type = any($3::text[]))

-- name: select_history
-- The stored measurements an evaluation's due rules read (alerting/engine/relevance.py) in one
-- round trip, each row with the `part` that read it (a measurement of two parts comes twice; the
-- engine merges by id, as it merges the new rows, which come back too):
--   'all'   when $3: every value of the types $4 (null: of every type) measured from $2;
--   'daily' the last value of each local day (in $6, the patient's zone) from $2 up to $7, of each
--           type $5: the daily series the weight rules read (Timeline.daily_last keeps the latest
--           (measured_at, id) of a day). One index probe per type and day, so that a scale that
--           reports every minute costs what a daily weighing does;
--   'days'  every value of the type $8[i] measured in [$9[i], $10[i]): the local days a whole-day
--           rule judges (those the new values of its type fall on, and any days between them).
-- A part with nothing to read ($3 false, an empty array) costs no index probe.
select 'all' as part, a.id, a.type, a.value, a.value_code, a.components, a.attributes, a.note, a.measured_at
from measurements a
where $3::boolean and a.patient_id = $1 and a.measured_at >= $2 and ($4::text[] is null or a.type = any($4::text[]))
union all
select 'daily', m.id, m.type, m.value, m.value_code, m.components, m.attributes, m.note, m.measured_at
from unnest($5::text[]) as t(type)
cross join lateral (
    -- Local midnights (timestamp without zone) turned into instants in the patient's zone.
    select g.midnight at time zone $6 as starts, (g.midnight + interval '1 day') at time zone $6 as ends
    from generate_series(date_trunc('day', $2::timestamptz at time zone $6),
                         date_trunc('day', $7::timestamptz at time zone $6), interval '1 day') as g(midnight)
) as day
cross join lateral (
    select x.id, x.type, x.value, x.value_code, x.components, x.attributes, x.note, x.measured_at
    from measurements x
    where x.patient_id = $1 and x.type = t.type and x.value is not null
      and x.measured_at >= greatest($2, day.starts) and x.measured_at < day.ends
    order by x.measured_at desc, x.id desc
    limit 1
) as m
union all
select 'days', d.id, d.type, d.value, d.value_code, d.components, d.attributes, d.note, d.measured_at
from unnest($8::text[], $9::timestamptz[], $10::timestamptz[]) as b(type, starts, ends)
cross join lateral (
    -- One index range per type, read in the index's order. The ORDER BY keeps this a subquery of
    -- its own: joined flat, a generic plan hashed every measurement of the patient against the
    -- bounds.
    select x.id, x.type, x.value, x.value_code, x.components, x.attributes, x.note, x.measured_at
    from measurements x
    where x.patient_id = $1 and x.type = b.type and x.measured_at >= b.starts and x.measured_at < b.ends
    order by x.measured_at desc, x.id desc
) as d

-- name: select_new_form_responses
-- With the item definitions of the version answered: mapped items are measurements already, and
-- free-text answers are the parent's own words that the clinician should read.
select fr.id, fr.form, fr.authored_at, fr.answers, fr.score, f.definition -> 'items' as items
from form_responses fr join forms f on f.code = fr.form and f.version = fr.version
where fr.patient_id = $1 and fr.id = any($2::uuid[])

-- name: select_history_form_responses
-- $3 the form codes to read; null reads every form.
select fr.id, fr.form, fr.authored_at, fr.answers, fr.score, f.definition -> 'items' as items
from form_responses fr join forms f on f.code = fr.form and f.version = fr.version
where fr.patient_id = $1 and fr.authored_at >= $2 and ($3::text[] is null or fr.form = any($3::text[]))

-- name: select_new_contact_requests
select id, message, created_at from contact_requests where patient_id = $1 and id = any($2::uuid[])

-- name: select_history_contact_requests
select id, message, created_at from contact_requests where patient_id = $1 and created_at >= $2

-- name: record_decisions
-- One statement for all of an evaluation's decisions ($2, a JSON array; $3 the service's now).
-- A decision opens an alert, or updates the patient's unresolved alert of the same rule key:
-- occurrences + 1, last_seen_at, the worst value (by `direction`); a more severe decision raises
-- the severity and reopens an acknowledged alert. The rule, title, explanation and patient text
-- are taken only from a finding at least as bad as the one that wrote them (`finding_rank`):
-- a milder tier's breach counts as an occurrence but never makes an urgent alert read "low".
-- The alert's events are written, and `first_push` marks every new alert and every severity
-- increase for its pushes. `before` is read from the statement's snapshot: if a concurrent
-- upload changed the alert meanwhile it is null, and the clinicians are notified once more
-- rather than once less. The dashboards' live streams are told of every alert written, in the
-- same statement (P1) and so only when the transaction commits: `announced` is live.announce's
-- NOTIFY (alerting/live.py), the same channel and payload, 100 ids a message.
with decided as (
    select *
    from jsonb_to_recordset($2::jsonb) as d(
        id uuid, rule_code text, rule_key text, rule_kind text, rule_source text, severity text,
        finding_rank smallint, title text, title_nb text, explanation text, explanation_nb text, patient_text jsonb,
        measurement_ids uuid[],
        form_response_ids uuid[], contact_request_ids uuid[], value jsonb, direction text,
        unit text, observed_at timestamptz, late boolean)
),
before as (
    select a.id, a.severity_rank, a.status
    from alerts a
    where a.patient_id = $1 and a.status <> 'resolved' and a.rule_key in (select rule_key from decided)
),
written as (
    insert into alerts as a (
        id, patient_id, rule_code, rule_key, rule_kind, rule_source, severity, finding_rank, status, title,
        title_nb, explanation, explanation_nb, patient_text, measurement_ids, form_response_ids, contact_request_ids,
        worst_value, latest_value,
        unit, observed_at, occurrences, raised_at, last_seen_at, late, received_at, evaluated_at)
    select d.id, $1, d.rule_code, d.rule_key, d.rule_kind, d.rule_source, d.severity, d.finding_rank, 'open',
           d.title, d.title_nb, d.explanation, d.explanation_nb, d.patient_text, d.measurement_ids, d.form_response_ids,
           d.contact_request_ids,
           d.value, d.value, d.unit, d.observed_at, 1, $3, $3, d.late, transaction_timestamp(), clock_timestamp()
    from decided d
    on conflict (patient_id, rule_key) where status <> 'resolved' do update set
        severity = case when excluded.severity_rank > a.severity_rank then excluded.severity else a.severity end,
        status = case when excluded.severity_rank > a.severity_rank then 'open' else a.status end,
        acknowledged_by = case when excluded.severity_rank > a.severity_rank then null else a.acknowledged_by end,
        acknowledged_at = case when excluded.severity_rank > a.severity_rank then null else a.acknowledged_at end,
        finding_rank = greatest(excluded.finding_rank, a.finding_rank),
        rule_code = case when excluded.finding_rank >= a.finding_rank then excluded.rule_code else a.rule_code end,
        rule_source = case when excluded.finding_rank >= a.finding_rank then excluded.rule_source else a.rule_source end,
        title = case when excluded.finding_rank >= a.finding_rank then excluded.title else a.title end,
        title_nb = case when excluded.finding_rank >= a.finding_rank then excluded.title_nb else a.title_nb end,
        explanation = case when excluded.finding_rank >= a.finding_rank then excluded.explanation else a.explanation end,
        explanation_nb = case when excluded.finding_rank >= a.finding_rank then excluded.explanation_nb
                              else a.explanation_nb end,
        patient_text = case when excluded.finding_rank >= a.finding_rank then excluded.patient_text
                            else a.patient_text end,
        measurement_ids = append_ids(a.measurement_ids, excluded.measurement_ids, 200),
        form_response_ids = append_ids(a.form_response_ids, excluded.form_response_ids, 200),
        contact_request_ids = append_ids(a.contact_request_ids, excluded.contact_request_ids, 200),
        worst_value = case (select d.direction from decided d where d.rule_key = excluded.rule_key)
                          when 'max' then greatest(a.worst_value, excluded.worst_value)
                          when 'min' then least(a.worst_value, excluded.worst_value)
                          else excluded.worst_value end,
        latest_value = excluded.latest_value,
        unit = excluded.unit,
        observed_at = excluded.observed_at,
        occurrences = a.occurrences + 1,
        last_seen_at = greatest(a.last_seen_at, excluded.last_seen_at),
        late = excluded.late
    returning a.id, a.rule_key, a.rule_code, a.severity, a.severity_rank, a.status, a.patient_text,
              (a.xmax = 0) as inserted
),
outcome as (
    select w.*, b.severity_rank as before_rank,
           w.inserted or b.id is null or w.severity_rank > b.severity_rank as notify
    from written w left join before b on b.id = w.id
),
events as (
    insert into alert_events (alert_id, at, kind, actor_id, severity, details)
    select o.id, $3, case when o.inserted then 'raise' else 'update' end, null, o.severity,
           jsonb_build_object('rule', o.rule_code, 'observation_ids', d.measurement_ids || d.form_response_ids
                              || d.contact_request_ids, 'late', d.late)
           || case when not o.inserted and o.notify
                   then jsonb_build_object('severity_before', case o.before_rank when 3 then 'high'
                                                              when 2 then 'medium' when 1 then 'low' end)
                   else '{}' end
    from outcome o join decided d on d.rule_key = o.rule_key
),
announced as (
    select pg_notify('heima_alerts_live', json_build_object('alert_ids', json_agg(c.id order by c.id))::text)
    from (select w.id, (row_number() over (order by w.id) - 1) / 100 as chunk from written w) as c
    group by c.chunk
)
-- Who is told, and when, is the units' policies' choice (alerting/notify): `first_push` names
-- the alerts whose first pushes are to be written. Counting `announced` runs its NOTIFYs (a
-- SELECT in WITH runs only as far as the query reads it).
select o.id, o.rule_key, o.severity, o.status, o.patient_text, o.inserted, o.notify and o.status = 'open' as first_push
from outcome o
cross join (select count(*) from announced) as notified

-- name: select_alerts_resting_on
-- Alerts whose evidence names one of these measurements ($2) or form responses ($3); the same
-- order as an evaluation answers with.
select id, severity, status, patient_text
from alerts
where patient_id = $1 and (measurement_ids && $2::uuid[] or form_response_ids && $3::uuid[])
order by severity_rank desc, id

-- name: notify_alerts
-- Delivered to listeners when the transaction commits, and never if it rolls back.
select pg_notify('heima_alerts', $1)

-- name: resolve_missing_alerts
-- Missing-data alerts the arriving data answers: resolved by Heima ($3 now), with a note each in
-- English ($4) and bokmål ($5, kept in the event's details).
with arrived as (
    select * from unnest($2::uuid[], $4::text[], $5::text[]) as r(id, note, note_nb)
),
resolved as (
    update alerts a set status = 'resolved', resolved_at = $3, resolution_note = r.note
    from arrived r
    where a.id = r.id and a.patient_id = $1 and a.status <> 'resolved'
    returning a.id, a.severity, a.resolution_note
),
cancelled as (
    update push_deliveries d set status = 'cancelled'
    from resolved r
    -- The clinicians' pushes stop; a family's (`seen`) still tells them what happened.
    where d.alert_id = r.id and d.status = 'pending' and d.kind = any('{alert,digest}'::text[])
)
insert into alert_events (alert_id, at, kind, actor_id, severity, note, details)
select r.id, $3, 'resolve', null, r.severity, r.resolution_note, jsonb_build_object('note_nb', a.note_nb)
from resolved r join arrived a on a.id = r.id

-- name: select_alert_authorized
-- Find and authorize in one statement, one row whether or not the alert exists (patient_id null
-- then): a missing id and another unit's id take the same path to the same 404. The clinician $2
-- (role $3, units $4) sees the alert while its patient is enrolled in one of the units at $5; the
-- allowed access-log row is written in the same statement ($6 resource, $7 action, $8 request id,
-- $9 session, $10 the client's request id).
with target as (
    select a.patient_id, clinician_sees_patient(a.patient_id, $4::uuid[], $5) as visible
    from alerts a
    where a.id = $1
),
logged as (
    insert into access_log (at, actor_id, actor_role, patient_id, resource, action, outcome, request_id, session_id,
                            client_request_id, object_id)
    select $5, $2, $3, t.patient_id, $6, $7, 'allowed', $8, $9, $10, $1
    from target t
    where t.visible
)
select t.patient_id, coalesce(t.visible, false) as visible
from (select) as one
left join target t on true

-- name: acknowledge_alert
-- Open → acknowledged; acknowledging stops every delivery not yet sent.
with acknowledged as (
    update alerts set status = 'acknowledged', acknowledged_by = $2, acknowledged_at = $3
    where id = $1 and status = 'open'
    returning id, severity
),
cancelled as (
    update push_deliveries d set status = 'cancelled'
    from acknowledged a
    -- The clinicians' pushes stop; a family's (`seen`) still tells them what happened.
    where d.alert_id = a.id and d.status = 'pending' and d.kind = any('{alert,digest}'::text[])
)
insert into alert_events (alert_id, at, kind, actor_id, severity)
select a.id, $3, 'acknowledge', $2, a.severity from acknowledged a
returning alert_id

-- name: resolve_alert
with resolved as (
    update alerts set status = 'resolved', resolved_by = $2, resolved_at = $3, resolution_note = $4
    where id = $1 and status <> 'resolved'
    returning id, severity
),
cancelled as (
    update push_deliveries d set status = 'cancelled'
    from resolved r
    -- The clinicians' pushes stop; a family's (`seen`) still tells them what happened.
    where d.alert_id = r.id and d.status = 'pending' and d.kind = any('{alert,digest}'::text[])
)
insert into alert_events (alert_id, at, kind, actor_id, severity, note)
select r.id, $3, 'resolve', $2, r.severity, $4 from resolved r
returning alert_id

-- name: resolve_handled_contact_alerts
-- Handling a contact request resolves the unresolved alerts that rest only on contact requests
-- that are all handled now ($2 who handled, $3 when, $4 the note, $5 in bokmål: kept in the
-- event's details). Returns the ids resolved.
with handled as (
    select a.id from alerts a
    where a.patient_id = $1 and a.status <> 'resolved' and cardinality(a.contact_request_ids) > 0
      and not exists (select 1 from contact_requests c
                      where c.id = any(a.contact_request_ids) and c.status = 'open')
    for update
),
resolved as (
    update alerts a set status = 'resolved', resolved_by = $2, resolved_at = $3, resolution_note = $4
    from handled h where a.id = h.id
    returning a.id, a.severity
),
cancelled as (
    update push_deliveries d set status = 'cancelled'
    from resolved r
    -- The clinicians' pushes stop; a family's (`seen`) still tells them what happened.
    where d.alert_id = r.id and d.status = 'pending' and d.kind = any('{alert,digest}'::text[])
)
insert into alert_events (alert_id, at, kind, actor_id, severity, note, details)
select r.id, $3, 'resolve', $2, r.severity, $4, jsonb_build_object('note_nb', $5::text) from resolved r
returning alert_id

-- name: select_alert
select a.id, a.patient_id, p.display_name as patient_name, a.rule_code, a.rule_kind, a.rule_source, a.severity,
       a.status, a.title, a.title_nb, a.explanation, a.explanation_nb, a.patient_text, a.measurement_ids,
       a.form_response_ids, a.contact_request_ids, a.worst_value, a.latest_value, a.unit, a.observed_at, a.raised_at,
       a.last_seen_at,
       a.occurrences, a.late, a.acknowledged_by, a.acknowledged_at, a.resolved_by, a.resolved_at,
       a.resolution_note, alert_reach(a.id) as reach
from alerts a join patients p on p.id = a.patient_id
where a.id = $1

-- name: select_alert_events
-- What happened to alert $1, oldest first, after the event id $2 (0: from the start), $3 at most;
-- the details' keys as columns, and who by name (null: Heima itself).
select e.id, e.at, e.kind, e.actor_id, u.display_name as actor_name, e.severity, e.note, e.details ->> 'note_nb' as note_nb,
       e.details ->> 'rule' as rule, e.details ->> 'severity_before' as severity_before,
       (e.details ->> 'late')::boolean as late,
       coalesce(array(select jsonb_array_elements_text(e.details -> 'observation_ids')), '{}') as observation_ids,
       (e.details ->> 'step')::int as escalation_step, e.details ->> 'circle' as escalated_to,
       (e.details ->> 'recipients')::int as recipients
from alert_events e left join users u on u.id = e.actor_id
where e.alert_id = $1 and e.id > $2
order by e.id
limit $3

-- name: select_worklist
-- The alerts of patients enrolled now ($3) in one of the units $2, highest severity first, then
-- oldest first. $4 an optional patient; ($5, $6, $7) the keyset cursor: (rank, raised_at, id) of
-- the last item seen.
select a.id, a.patient_id, p.display_name as patient_name, a.rule_code, a.rule_kind, a.rule_source, a.severity,
       a.status, a.title, a.title_nb, a.explanation, a.explanation_nb, a.patient_text, a.measurement_ids,
       a.form_response_ids, a.contact_request_ids, a.worst_value, a.latest_value, a.unit, a.observed_at, a.raised_at,
       a.last_seen_at,
       a.occurrences, a.late, a.acknowledged_by, a.acknowledged_at, a.resolved_by, a.resolved_at,
       a.resolution_note, a.severity_rank, alert_reach(a.id) as reach
from alerts a join patients p on p.id = a.patient_id
where a.status = any($1::text[])
  and a.patient_id in (
      select e.patient_id from enrolments e
      where e.unit_id = any($2::uuid[]) and e.started_at <= $3 and (e.ended_at is null or e.ended_at > $3))
  and ($4::uuid is null or a.patient_id = $4)
  and ($5::smallint is null
       or a.severity_rank < $5
       or (a.severity_rank = $5 and (a.raised_at, a.id) > ($6::timestamptz, $7::uuid)))
order by a.severity_rank desc, a.raised_at, a.id
limit $8

-- name: select_unit_overview
-- The unit overview as one JSON document, and its access-log rows, in one round trip: every
-- patient enrolled now ($2) in unit $1 (the caller $3 with role $4 and session $7 belongs to it; $5 the request
-- id, $8 the client's), with the programmes followed now, the unresolved alerts (highest severity first, then
-- oldest first), the current overrides of the missing-data rules $6 (staleness follows them) and
-- the latest value of each measurement type of those programmes. The latest value is one probe of
-- measurements_patient_type_time_idx per (patient, type): its cost does not grow with history.
with listed as (
    select distinct e.patient_id
    from enrolments e
    where e.unit_id = $1 and e.started_at <= $2 and (e.ended_at is null or e.ended_at > $2)
),
logged as (
    insert into access_log (at, actor_id, actor_role, patient_id, resource, action, outcome, request_id, session_id,
                            client_request_id)
    select $2, $3, $4, l.patient_id, 'overview', 'read', 'allowed', $5, $7, $8
    from listed l
),
kinds as (
    -- The measurement types of the programmes each patient follows now (in any unit).
    select e.patient_id, t.type, min(e.programme) as programme, min(t.n) as n
    from listed l
    join enrolments e on e.patient_id = l.patient_id
    join programmes g on g.code = e.programme
    cross join jsonb_array_elements_text(g.measurement_types) with ordinality as t(type, n)
    where e.started_at <= $2 and (e.ended_at is null or e.ended_at > $2)
    group by e.patient_id, t.type
),
followed as (
    select k.patient_id, array_agg(k.type order by k.programme, k.n) as types
    from kinds k
    group by k.patient_id
)
select coalesce(json_agg(json_build_object(
           'id', p.id, 'display_name', p.display_name, 'birth_date', p.birth_date, 'time_zone', p.time_zone,
           'programmes', array(select distinct e.programme from enrolments e
                               where e.patient_id = p.id and e.started_at <= $2
                                 and (e.ended_at is null or e.ended_at > $2) order by e.programme),
           'parameters', array(select e.parameters from enrolments e
                               where e.patient_id = p.id and e.started_at <= $2
                                 and (e.ended_at is null or e.ended_at > $2) order by e.started_at, e.id),
           'types', coalesce(f.types, '{}'),
           'alerts', coalesce((
               select json_agg(json_build_object(
                          'id', a.id, 'rule', a.rule_code, 'rule_kind', a.rule_kind, 'severity', a.severity,
                          'status', a.status, 'title', a.title, 'title_nb', a.title_nb,
                          'raised_at', a.raised_at,
                          'last_seen_at', a.last_seen_at, 'occurrences', a.occurrences, 'late', a.late,
                          'acknowledged_at', a.acknowledged_at)
                      order by a.severity_rank desc, a.raised_at, a.id)
               from alerts a
               where a.patient_id = p.id and a.status <> 'resolved'), '[]'),
           'overrides', coalesce((
               select json_agg(json_build_object(
                          'rule_code', o.rule_code, 'params', o.params, 'severity', o.severity, 'enabled', o.enabled))
               from patient_rule_overrides o
               where o.patient_id = p.id and o.rule_code = any($6::text[]) and o.superseded_at is null
                 and (o.expires_at is null or o.expires_at > $2)), '[]'),
           'latest', coalesce((
               select json_agg(json_build_object(
                          'type', t.type, 'measurement_id', m.id,
                          'value', coalesce(to_json(m.value), to_json(m.value_code)), 'components', m.components,
                          'unit', m.unit, 'measured_at', m.measured_at, 'received_at', m.received_at)
                      order by t.n)
               from unnest(coalesce(f.types, '{}')) with ordinality as t(type, n)
               cross join lateral (
                   select x.id, x.value, x.value_code, x.components, x.unit, x.measured_at, x.received_at
                   from measurements x
                   where x.patient_id = p.id and x.type = t.type
                   order by x.measured_at desc, x.id desc
                   limit 1
               ) as m), '[]'))), '[]')::text as patients
from listed l
join patients p on p.id = l.patient_id
left join followed f on f.patient_id = l.patient_id

-- name: select_patient_alerts
-- What the patient or parent sees: newest first.
select id, severity, status, patient_text, raised_at, last_seen_at, acknowledged_at, resolved_at
from alerts
where patient_id = $1
order by raised_at desc, id desc
limit $2

-- name: supersede_override
update patient_rule_overrides set superseded_at = $3
where patient_id = $1 and rule_code = $2 and superseded_at is null

-- name: insert_override
insert into patient_rule_overrides (
    id, patient_id, rule_code, params, severity, enabled, reason, set_by, set_at, expires_at)
values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)

-- name: select_override_history
select o.id, o.params, o.severity, o.enabled, o.reason, o.set_by, u.display_name as set_by_name, o.set_at,
       o.expires_at, o.superseded_at
from patient_rule_overrides o join users u on u.id = o.set_by
where o.patient_id = $1 and o.rule_code = $2
order by o.set_at desc, coalesce(o.superseded_at, 'infinity') desc, o.id desc
limit $3

-- name: claim_push_deliveries
-- For the delivery worker (alerting/worker.py): claim up to $2 due deliveries at $1 for a lease of
-- $3 seconds. A claimed row is `sending` with next_attempt_at = locked_until = the lease's end, so
-- a worker that dies mid-send leaves a row that becomes due again by itself; SKIP LOCKED lets any
-- number of workers claim at once without waiting on each other or sending twice.
with due as (
    select id from push_deliveries
    where status = any('{pending,sending}'::text[]) and next_attempt_at <= $1
    order by next_attempt_at
    limit $2
    for update skip locked
)
update push_deliveries d
set status = 'sending', attempts = d.attempts + 1,
    locked_until = $1 + make_interval(secs => $3), next_attempt_at = $1 + make_interval(secs => $3)
from due
where d.id = due.id
returning d.id, d.alert_id, d.user_id, d.severity, d.attempts, d.escalation_step

-- name: select_delivery_backlog
-- The worker's health (heima_worker_deliveries_pending, ..._oldest_pending_delivery_age_seconds):
-- deliveries not settled yet, and when the oldest was created. Few rows: the claim index covers it.
select count(*) as pending, min(created_at) as oldest
from push_deliveries where status = any('{pending,sending}'::text[])

-- name: claim_deliveries
-- The delivery worker's claim (alerting/delivery.py): up to $2 deliveries due at $1, leased for $3
-- seconds and committed before anything is sent. A worker that dies mid-send leaves rows that are
-- due again when the lease ends; SKIP LOCKED lets workers claim side by side without waiting on
-- each other or taking the same row. A due clinician's push (`alert`, `digest`) whose alert is no
-- longer open (acknowledged or resolved while it waited) is cancelled instead, and one already
-- claimed $4 times without an outcome (a worker that keeps dying on it) is given up. One row per subscription still to send
-- to (done: delivered, gone, rejected or refused at an earlier attempt), or one with a null
-- subscription when there is none left.
with due as (
    select d.id,
           case when d.kind = any('{alert,digest}'::text[]) and a.status <> 'open' then 'cancelled'
                when d.attempts >= $4 then 'failed'
                else 'sending' end as next_status
    from push_deliveries d left join alerts a on a.id = d.alert_id
    where d.status = any('{pending,sending}'::text[]) and d.next_attempt_at <= $1
    -- Behind a backlog (a push service coming back), high alerts go first.
    order by d.severity = 'high' desc, d.next_attempt_at
    limit $2
    for update of d skip locked
),
claimed as (
    update push_deliveries d
    set status = due.next_status,
        attempts = d.attempts + (due.next_status = 'sending')::integer,
        locked_until = case when due.next_status = 'sending' then $1 + make_interval(secs => $3) end,
        next_attempt_at = case when due.next_status = 'sending' then $1 + make_interval(secs => $3)
                               else d.next_attempt_at end,
        last_error = case when due.next_status = 'failed' then 'gave up: no outcome after ' || d.attempts || ' claims'
                          else d.last_error end
    from due
    where d.id = due.id
    returning d.id, d.alert_id, d.user_id, d.severity, d.attempts, d.escalation_step, d.status, d.kind,
              d.contact_request_id, d.patient_id, d.meeting_id
)
select c.id, c.alert_id, c.user_id, c.severity, c.attempts, c.escalation_step, c.kind, c.contact_request_id,
       c.patient_id, c.meeting_id, a.received_at,
       exists (select 1 from push_attempts p where p.delivery_id = c.id and p.outcome = 'delivered')
           as delivered_before,
       s.id as subscription_id, s.endpoint, s.p256dh, s.auth
from claimed c
left join alerts a on a.id = c.alert_id
left join lateral (
    select s.id, s.endpoint, s.p256dh, s.auth, s.created_at
    from push_subscriptions s
    where s.user_id = c.user_id and (s.expires_at is null or s.expires_at > $1)
      and not exists (
          select 1 from push_attempts p
          where p.delivery_id = c.id and p.subscription_id = s.id
            and p.outcome = any('{delivered,gone,rejected,refused}'::text[]))
) s on true
where c.status = 'sending'
order by c.id, s.created_at, s.id

-- name: stamp_first_push
-- An alert's latency stamps, each set once ($1: id, sent, accepted, in the worker's real time): its
-- first push sent, and the first one a push service accepted. The alerts whose stamps this set
-- come back with when their upload arrived, for heima_alert_latency_seconds.
update alerts a
set first_push_sent_at = coalesce(a.first_push_sent_at, x.sent),
    first_push_accepted_at = coalesce(a.first_push_accepted_at, x.accepted)
from jsonb_to_recordset($1::jsonb) as x(id uuid, sent timestamptz, accepted timestamptz)
where a.id = x.id
  and (a.first_push_sent_at is null or (a.first_push_accepted_at is null and x.accepted is not null))
returning a.id, a.received_at, a.first_push_sent_at = x.sent as first_sent,
          coalesce(a.first_push_accepted_at = x.accepted, false) as first_accepted,
          a.first_push_sent_at, a.first_push_accepted_at

-- name: record_push_outcomes
-- After sending, in one statement: each delivery's new state ($1: id, attempt, status,
-- next_attempt_at, last_error, sent_at) only while this worker's claim still holds it (the same
-- attempt, still `sending`: a worker whose lease ran out must not overwrite the next claim's
-- outcome); a receipt per attempt ($2); each subscription's success or failure at $4 ($3: id, ok).
-- The deliveries updated come back.
with outcome as (
    select * from jsonb_to_recordset($1::jsonb) as o(
        id uuid, attempt integer, status text, next_attempt_at timestamptz, last_error text, sent_at timestamptz)
),
marked as (
    update push_deliveries d
    set status = o.status,
        next_attempt_at = coalesce(o.next_attempt_at, d.next_attempt_at),
        locked_until = null,
        last_error = o.last_error,
        sent_at = coalesce(d.sent_at, o.sent_at)
    from outcome o
    where d.id = o.id and d.attempts = o.attempt and d.status = 'sending'
    returning d.id
),
receipts as (
    insert into push_attempts (delivery_id, attempt, subscription_id, push_service, at, duration_ms, outcome,
                               http_status, retry_after_seconds, detail)
    select r.delivery_id, r.attempt, r.subscription_id, r.push_service, r.at, r.duration_ms, r.outcome,
           r.http_status, r.retry_after_seconds, left(r.detail, 500)
    from jsonb_to_recordset($2::jsonb) as r(
        delivery_id uuid, attempt integer, subscription_id uuid, push_service text, at timestamptz,
        duration_ms double precision, outcome text, http_status smallint, retry_after_seconds double precision,
        detail text)
),
subscriptions as (
    update push_subscriptions s
    set last_success_at = case when x.ok then $4 else s.last_success_at end,
        last_failure_at = case when x.ok then s.last_failure_at else $4 end,
        failure_count = case when x.ok then 0 else s.failure_count + 1 end
    from jsonb_to_recordset($3::jsonb) as x(id uuid, ok boolean)
    where s.id = x.id
)
select id from marked

-- name: select_sweep_patients
-- Patients followed at $1 in one of the programmes $2 (those with missing-data rules), after
-- patient $3 in id order, at most $4: the missing-data sweep's pages.
select distinct e.patient_id
from enrolments e
where e.programme = any($2::text[]) and e.started_at <= $1 and (e.ended_at is null or e.ended_at > $1)
  and e.patient_id > $3
order by e.patient_id
limit $4

-- name: try_lock_patient_sweep
-- One worker sweeps a patient at a time; the others skip it (held until the transaction ends).
select pg_try_advisory_xact_lock($1::integer, hashtext($2::uuid::text))

-- name: select_last_registrations
-- When patient $1 last registered each of $2 (a measurement type or a form code; a type ending in
-- ">0" counts only values above 0): when it was measured or answered, as the missing-data rules
-- count.
select k.key,
       greatest((select max(m.measured_at) from measurements m
                 where m.patient_id = $1 and m.type = k.type and (not k.nonzero or m.value > 0)),
                (select max(f.authored_at) from form_responses f where f.patient_id = $1 and f.form = k.key))
           as last
from (select key, key like '%>0' as nonzero, regexp_replace(key, '>0$', '') as type
      from unnest($2::text[]) as key) as k

-- name: mark_sweep_raises
-- Mark each (rule $2[i], period $3[i]) of patient $1 as dealt with at $4; the ones already marked
-- (by an earlier sweep, or another worker's just now) do not come back.
insert into alert_sweep_marks (patient_id, rule_code, period, marked_at)
select $1, r.rule_code, r.period, $4
from unnest($2::text[], $3::timestamptz[]) as r(rule_code, period)
on conflict do nothing
returning rule_code

-- name: notify_live
-- Dashboards' live feed (alerting/live.py): delivered only when the transaction commits.
select pg_notify('heima_alerts_live', $1)

-- name: select_live_alerts
-- The alerts as the dashboard lists them, and the units their patients are enrolled in at $2: the
-- same enrolment rule as the worklist (select_worklist).
select a.id, a.patient_id, a.rule_code, a.severity, a.status, a.title, a.title_nb, a.raised_at, a.last_seen_at,
       a.occurrences, a.acknowledged_at, a.resolved_at, alert_reach(a.id) as reach,
       array(select e.unit_id from enrolments e
             where e.patient_id = a.patient_id and e.started_at <= $2
               and (e.ended_at is null or e.ended_at > $2)) as unit_ids
from alerts a
where a.id = any($1::uuid[])

-- name: select_live_sessions
-- Of the sign-ins $1 behind open streams, those still signed in (not revoked, account not
-- disabled), each with its user's units now.
select s.id as session_id,
       array(select m.unit_id from unit_memberships m where m.user_id = u.id order by m.unit_id) as unit_ids
from auth_sessions s join users u on u.id = s.user_id
where s.id = any($1::uuid[]) and s.revoked_at is null and u.disabled_at is null

-- name: insert_live_access_log
-- The access-log row of one live event, written only while the stream's sign-in ($7) still holds:
-- no row (and no event) once it was revoked or its account disabled. $1 at, $2 actor, $3 role,
-- $4 patient, $5 resource, $6 request id (the stream's), $8 the client's X-Request-ID; the row
-- names the session.
insert into access_log (at, actor_id, actor_role, patient_id, resource, action, outcome, request_id, session_id,
                        client_request_id)
select $1, $2, $3, $4, $5, 'read', 'allowed', $6, s.id, $8
from auth_sessions s join users u on u.id = s.user_id
where s.id = $7 and s.revoked_at is null and u.disabled_at is null
returning id

-- name: select_rule_vocabulary
-- What a rule may name: the measurement types of the catalogue, the form codes, and the answers
-- of every form version ("<form>/<link_id>").
select (select coalesce(array_agg(code), '{}') from measurement_types) as types,
       (select coalesce(array_agg(distinct code), '{}') from forms) as forms,
       (select coalesce(array_agg(distinct f.code || '/' || (item ->> 'link_id')), '{}')
        from forms f cross join lateral jsonb_array_elements(f.definition -> 'items') as item) as answers
