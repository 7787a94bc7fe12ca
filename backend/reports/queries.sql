-- The tertial report (backend/reports/service.py). Every query starts from the same followed
-- enrolments: those of the caller's units ($3) (and programme $4, when given) that overlap the
-- period [$1, $2), each clipped to it (report_followed_enrolments, migration 0020). $2 is the period's end, or now for the running tertial.
-- Results are grouped by (programme, unit_id).

-- name: select_followed
with followed as (
    select * from report_followed_enrolments($1, $2, $3::uuid[], $4::text)
)
select f.programme, f.unit_id, u.name as unit_name,
       count(distinct f.patient_id) as patients,
       sum(extract(epoch from f.to_at - f.from_at)) / 86400.0 as patient_days
from followed f join units u on u.id = f.unit_id
group by f.programme, f.unit_id, u.name
order by f.programme, u.name, f.unit_id

-- name: select_registrations
-- Registrations of the programme's own measurement types and forms, measured (authored) while
-- followed; a registration day is a local day of the patient's with at least one of them.
with followed as (
    select * from report_followed_enrolments($1, $2, $3::uuid[], $4::text)
),
registered as (
    select f.id as enrolment_id, f.programme, f.unit_id, m.measured_at as at, p.time_zone
    from followed f
    join patients p on p.id = f.patient_id
    join programmes pr on pr.code = f.programme
    join measurements m on m.patient_id = f.patient_id
                       and m.measured_at >= f.from_at and m.measured_at < f.to_at
    where pr.measurement_types ? m.type
    union all
    select f.id, f.programme, f.unit_id, r.authored_at, p.time_zone
    from followed f
    join patients p on p.id = f.patient_id
    join form_responses r on r.patient_id = f.patient_id
                         and r.authored_at >= f.from_at and r.authored_at < f.to_at
    join forms fo on fo.code = r.form and fo.version = r.version and fo.programme = f.programme
)
select programme, unit_id, count(*) as registrations,
       count(distinct (enrolment_id, (at at time zone time_zone)::date)) as registration_days
from registered
group by programme, unit_id

-- name: select_alerts
-- Alerts of the programme's rules ($5: programme codes, $6: rule codes, pairwise) raised while the
-- patient was followed. Times in seconds; "resolved" counts people's resolutions (Heima resolves
-- missing-data alerts itself when the data arrives: counted apart).
with followed as (
    select * from report_followed_enrolments($1, $2, $3::uuid[], $4::text)
),
programme_rules as (
    select programme, rule_code from unnest($5::text[], $6::text[]) as r(programme, rule_code)
),
raised as (
    select distinct f.programme, f.unit_id, a.id, a.severity, a.raised_at, a.acknowledged_at,
           a.resolved_at, a.resolved_by
    from followed f
    join alerts a on a.patient_id = f.patient_id and a.raised_at >= f.from_at and a.raised_at < f.to_at
    join programme_rules r on r.programme = f.programme and r.rule_code = a.rule_code
)
select programme, unit_id, severity,
       count(*) as raised,
       count(acknowledged_at) as acknowledged,
       percentile_cont(0.5) within group (order by extract(epoch from acknowledged_at - raised_at))
           filter (where acknowledged_at is not null) as acknowledge_median_s,
       percentile_cont(0.9) within group (order by extract(epoch from acknowledged_at - raised_at))
           filter (where acknowledged_at is not null) as acknowledge_p90_s,
       count(*) filter (where resolved_by is not null) as resolved,
       percentile_cont(0.5) within group (order by extract(epoch from resolved_at - raised_at))
           filter (where resolved_by is not null) as resolve_median_s,
       percentile_cont(0.9) within group (order by extract(epoch from resolved_at - raised_at))
           filter (where resolved_by is not null) as resolve_p90_s,
       count(*) filter (where resolved_at is not null and resolved_by is null) as resolved_automatically
from raised
group by programme, unit_id, severity

-- name: select_contact_requests
with followed as (
    select * from report_followed_enrolments($1, $2, $3::uuid[], $4::text)
),
asked as (
    select distinct f.programme, f.unit_id, c.id, c.created_at, c.handled_at
    from followed f
    join contact_requests c on c.patient_id = f.patient_id
                           and c.created_at >= f.from_at and c.created_at < f.to_at
)
select programme, unit_id,
       count(*) as received,
       count(handled_at) as handled,
       percentile_cont(0.5) within group (order by extract(epoch from handled_at - created_at))
           filter (where handled_at is not null) as handle_median_s,
       percentile_cont(0.9) within group (order by extract(epoch from handled_at - created_at))
           filter (where handled_at is not null) as handle_p90_s
from asked
group by programme, unit_id

-- name: select_meetings
-- Meetings of followed patients that started in the period (and before now); held when a host
-- and somebody else both asked to join.
with followed as (
    select * from report_followed_enrolments($1, $2, $3::uuid[], $4::text)
),
planned as (
    select distinct f.programme, f.unit_id, m.id, m.kind,
           exists (select 1 from meeting_attendance h where h.meeting_id = m.id and h.role = 'host')
           and (select count(*) from meeting_attendance a where a.meeting_id = m.id) >= 2 as held
    from followed f
    join meetings m on m.patient_id = f.patient_id and m.starts_at >= f.from_at and m.starts_at < f.to_at
)
select programme, unit_id, kind, count(*) as planned, count(*) filter (where held) as held
from planned
group by programme, unit_id, kind

-- name: select_enrolments_ended
select e.programme, e.unit_id, e.end_reason, count(*) as ended
from enrolments e
where e.unit_id = any($3::uuid[]) and ($4::text is null or e.programme = $4)
  and e.ended_at >= $1 and e.ended_at < $2
group by e.programme, e.unit_id, e.end_reason
order by count(*) desc, e.end_reason nulls last

-- name: select_programme_exists
select exists (select 1 from programmes where code = $1)
