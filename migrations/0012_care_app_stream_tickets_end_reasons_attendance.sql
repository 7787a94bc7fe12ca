-- What the care app needs beyond the first round: a way for a browser's EventSource into the live
-- alert feed without a token in the URL, why a follow-up ended, and who actually came to a meeting
-- (the tertial report counts meetings held, not only planned).

-- A single-use ticket for GET /alerts/stream, handed to the browser as an HttpOnly cookie scoped to
-- that path (alerting/stream_tickets.py). Stored as an HMAC like every token; taken with
-- DELETE … RETURNING, so two processes cannot both accept it.
create table stream_tickets (
    ticket_hash  bytea primary key,
    session_id   uuid not null references auth_sessions (id),
    created_at   timestamptz not null,
    expires_at   timestamptz not null,
    check (expires_at > created_at)
);
create index stream_tickets_expiry_idx on stream_tickets (expires_at);

-- Why an enrolment ended (discharged to the municipality, readmitted, died, …), when the clinician
-- said; free text, since programmes and units word it their own way.
alter table enrolments add column end_reason text check (length(btrim(end_reason)) between 1 and 500);
alter table enrolments add constraint enrolments_end_reason_only_when_ended
    check (end_reason is null or ended_at is not null);

-- The first time each person asked to join a meeting (POST /meetings/{id}/join). A meeting was
-- held when a host and someone else both came.
create table meeting_attendance (
    meeting_id       uuid not null references meetings (id),
    user_id          uuid not null references users (id),
    role             text not null check (role in ('host', 'participant')),
    first_joined_at  timestamptz not null,
    primary key (meeting_id, user_id)
);
