-- name: select_unit_policy
-- A unit, its promise to families and its current notification policy (null: the default).
select u.id, u.contact_within_hours, p.id as policy_id, p.policy, p.reason, p.set_by,
       s.display_name as set_by_name, p.set_at
from units u
left join unit_notification_policies p on p.unit_id = u.id and p.superseded_at is null
left join users s on s.id = p.set_by
where u.id = $1

-- name: select_unit_clinicians
-- The clinicians of unit $1 who can be told (not disabled): who an on-call list may name.
select m.user_id
from unit_memberships m join users u on u.id = m.user_id
where m.unit_id = $1 and u.role = 'clinician' and u.disabled_at is null

-- name: supersede_unit_policy
update unit_notification_policies set superseded_at = $2 where unit_id = $1 and superseded_at is null

-- name: insert_unit_policy
insert into unit_notification_policies (id, unit_id, policy, contact_within_hours, reason, set_by, set_at)
values ($1, $2, $3, $4, $5, $6, $7)

-- name: update_unit_promise
update units set contact_within_hours = $2 where id = $1

-- name: select_unit_policy_history
select p.id, p.policy, p.contact_within_hours, p.reason, p.set_by, u.display_name as set_by_name, p.set_at,
       p.superseded_at
from unit_notification_policies p join users u on u.id = p.set_by
where p.unit_id = $1
order by p.set_at desc, coalesce(p.superseded_at, 'infinity') desc, p.id desc
limit $2

-- name: select_notification_units
-- For each of the patients $1, the units following them at $2 with what notifying needs: the
-- unit's promise and current policy, its clinicians who can be told (with their profession), and
-- the physicians of its organisation (the last escalation step).
select e.patient_id, u.id as unit_id, u.contact_within_hours, p.policy,
       coalesce((select jsonb_agg(jsonb_build_object('user_id', m.user_id, 'profession', c.profession)
                                  order by m.user_id)
                 from unit_memberships m join users c on c.id = m.user_id
                 where m.unit_id = u.id and c.role = 'clinician' and c.disabled_at is null), '[]') as members,
       array(select distinct m.user_id
             from units o join unit_memberships m on m.unit_id = o.id join users c on c.id = m.user_id
             where o.organisation_id = u.organisation_id and c.role = 'clinician' and c.disabled_at is null
               and c.profession = 'physician') as physicians
from (select distinct x.patient_id, x.unit_id from enrolments x
      where x.patient_id = any($1::uuid[]) and x.started_at <= $2 and (x.ended_at is null or x.ended_at > $2)) e
join units u on u.id = e.unit_id
left join unit_notification_policies p on p.unit_id = u.id and p.superseded_at is null
order by e.patient_id, u.id

-- name: insert_alert_deliveries
-- Pending pushes of alerts ($1: alert_id, user_id, severity, next_attempt_at, step, kind) made at $2.
insert into push_deliveries (id, alert_id, user_id, status, severity, next_attempt_at, created_at, escalation_step,
                             kind)
select gen_random_uuid(), d.alert_id, d.user_id, 'pending', d.severity, d.next_attempt_at, $2, d.step, d.kind
from jsonb_to_recordset($1::jsonb) as d(
    alert_id uuid, user_id uuid, severity text, next_attempt_at timestamptz, step smallint, kind text)

-- name: select_open_urgent_alerts
-- Open (unacknowledged) medium and high alerts, for re-notification at $1: the step they are at
-- and since when (the raise, the last escalation, or the last rise in severity), when their
-- circle was last pushed to, and whether nobody at the latest push could be told (every delivery
-- failed, or there was nobody to push to). Oldest first, after ($2, $3), at most $4.
select a.id, a.patient_id, a.severity, a.escalation_step, a.repeats, a.raised_at,
       greatest(a.raised_at, a.escalated_at,
                (select max(ev.at) from alert_events ev
                 where ev.alert_id = a.id and ev.kind = 'update' and ev.details ? 'severity_before')) as step_since,
       coalesce(last.at, a.raised_at) as notified_at,
       not exists (select 1 from push_deliveries d
                   where d.alert_id = a.id and d.kind = 'alert' and d.created_at = last.at
                     and d.status <> 'failed') as undelivered
from alerts a
left join lateral (select max(d.created_at) as at from push_deliveries d
                   where d.alert_id = a.id and d.kind = 'alert') last on true
where a.status = 'open' and a.severity_rank >= 2 and a.raised_at <= $1
  and (a.raised_at, a.id) > ($2::timestamptz, $3::uuid)
order by a.raised_at, a.id
limit $4

-- name: repeat_alert
-- Count a repeat of alert $1 at step $3 (compare-and-set on $2, its repeats: of two workers, one
-- takes it) at $4, with a `repeat` event; no row when it moved on meanwhile.
with repeated as (
    update alerts set repeats = repeats + 1
    where id = $1 and repeats = $2 and escalation_step = $3 and status = 'open'
    returning id, severity, escalation_step, repeats
)
insert into alert_events (alert_id, at, kind, actor_id, severity, details)
select r.id, $4, 'repeat', null, r.severity,
       jsonb_build_object('step', r.escalation_step, 'repeat', r.repeats, 'reason', $5::text, 'recipients', $6::integer)
from repeated r
returning alert_id

-- name: escalate_alert
-- Take alert $1 from step $2 to the next at $3 (compare-and-set: of two workers, one moves it)
-- because of $4, with an `escalate` event naming its circle ($5) and how many are in it ($6).
with stepped as (
    update alerts set escalation_step = $2 + 1, escalated_at = $3
    where id = $1 and escalation_step = $2 and status = 'open'
    returning id, severity, escalation_step
)
insert into alert_events (alert_id, at, kind, actor_id, severity, details)
select s.id, $3, 'escalate', null, s.severity,
       jsonb_build_object('step', s.escalation_step, 'circle', $5::text, 'reason', $4::text, 'recipients', $6::integer)
from stepped s
returning alert_id

-- name: count_unreachable_alerts
-- Open alerts nobody could be told of (alert_reach): the worker's heima_alerts_unreachable.
select count(*) from alerts a where a.status = 'open' and alert_reach(a.id) = 'unreachable'

-- name: insert_family_deliveries
-- A push of kind $2 to the phones of patient $1 and of their guardians (those with a push
-- subscription who have not turned the kind off), about alert $3, contact request $4, the patient
-- ($6: a reminder) or meeting $7, at $5.
insert into push_deliveries (id, alert_id, contact_request_id, patient_id, meeting_id, user_id, status, severity,
                             next_attempt_at, created_at, escalation_step, kind)
select gen_random_uuid(), $3, $4, $6, $7, f.user_id, 'pending', 'low', $5, $5, 0, $2
from (select p.user_id from patients p where p.id = $1 and p.user_id is not null
      union
      select g.guardian_id from guardianships g where g.patient_id = $1) as f
join users u on u.id = f.user_id and u.disabled_at is null
where exists (select 1 from push_subscriptions s where s.user_id = f.user_id)
  and not exists (select 1 from family_notification_settings s
                  where s.user_id = f.user_id and s.kind = $2 and not s.enabled)
returning id

-- name: select_family_settings
select kind, enabled from family_notification_settings where user_id = $1

-- name: upsert_family_setting
insert into family_notification_settings (user_id, kind, enabled, updated_at) values ($1, $2, $3, $4)
on conflict (user_id, kind) do update set enabled = excluded.enabled, updated_at = excluded.updated_at

-- name: notify_alerts
-- Wakes the delivery workers when the transaction commits (alerting/worker.py).
select pg_notify('heima_alerts', $1)

-- name: insert_participant_meeting_deliveries
-- "Starting soon" to the phones of meeting $1's named participants (clinicians) at $2.
insert into push_deliveries (id, meeting_id, user_id, status, severity, next_attempt_at, created_at,
                             escalation_step, kind)
select gen_random_uuid(), $1, p.user_id, 'pending', 'low', $2, $2, 0, 'meeting'
from meeting_participants p join users u on u.id = p.user_id and u.disabled_at is null
where p.meeting_id = $1 and exists (select 1 from push_subscriptions s where s.user_id = p.user_id)
returning id

-- name: take_starting_meetings
-- Meetings that start by $2 and are not over at $1 (a worker that was down still says "join now"),
-- not pushed about yet, marked as pushed at $1: of several workers, one takes each.
update meetings set starting_pushed_at = $1
where id in (select id from meetings
             where starting_pushed_at is null and ended_at is null and starts_at <= $2 and ends_at > $1
             for update skip locked)
returning id, patient_id

-- name: mark_reminders
-- Mark each (reminder:<group> $2[i], gap $3[i]) of patient $1 as reminded at $4, in the sweep's
-- marks; those already marked (an earlier sweep, another worker) do not come back.
insert into alert_sweep_marks (patient_id, rule_code, period, marked_at)
select $1, r.rule_code, r.period, $4
from unnest($2::text[], $3::timestamptz[]) as r(rule_code, period)
on conflict do nothing
returning rule_code
