-- The tertial report's starting point (backend/reports/queries.sql), written once instead of in
-- each of its queries: the enrolments of units `unit_ids` (and `programme`, when not null) that
-- overlap the period [period_start, period_end), each clipped to it. A plain SQL function, so the
-- planner inlines it into each query as if the CTE were written there.
create function report_followed_enrolments(
    period_start timestamptz, period_end timestamptz, unit_ids uuid[], programme text
) returns table (id uuid, patient_id uuid, programme text, unit_id uuid, from_at timestamptz, to_at timestamptz)
language sql stable as $$
    select e.id, e.patient_id, e.programme, e.unit_id,
           greatest(e.started_at, period_start), least(coalesce(e.ended_at, 'infinity'), period_end)
    from enrolments e
    where e.unit_id = any(unit_ids) and (report_followed_enrolments.programme is null
                                         or e.programme = report_followed_enrolments.programme)
      and e.started_at < period_end and coalesce(e.ended_at, 'infinity') > period_start
$$;
