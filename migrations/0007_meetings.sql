-- Video meetings: a consultation or a discharge meeting about one patient, its named participants,
-- and the single-use tickets that open its signalling socket.

create table meetings (
    id          uuid primary key,
    patient_id  uuid not null references patients (id),
    kind        text not null check (kind in ('consultation', 'discharge')),
    title       text not null check (length(title) between 1 and 200),
    starts_at   timestamptz not null,
    ends_at     timestamptz not null,
    created_by  uuid not null references users (id),
    created_at  timestamptz not null,
    -- Set when a host ends the meeting: nobody joins it again.
    ended_at    timestamptz,
    ended_by    uuid references users (id),
    check (ends_at > starts_at),
    check ((ended_at is null) = (ended_by is null))
);
create index meetings_patient_idx on meetings (patient_id, starts_at);

-- Named participants: clinicians, possibly of another organisation (a municipality's nurse in a
-- discharge meeting). The patient and their guardians are participants without a row here, so a
-- guardian activated after the meeting was planned can join it too.
create table meeting_participants (
    meeting_id  uuid not null references meetings (id),
    user_id     uuid not null references users (id),
    role        text not null check (role in ('host', 'participant')),
    primary key (meeting_id, user_id)
);
create index meeting_participants_user_idx on meeting_participants (user_id, meeting_id);

-- A ticket opens the signalling socket once (DELETE … RETURNING, so two processes cannot both
-- accept it) within seconds; only its keyed hash is stored. peer_id is the caller's place in the
-- room: the same sign-in (session) gets the same one back, which is how a dropped socket resumes.
create table meeting_tickets (
    ticket_hash  bytea primary key,
    meeting_id   uuid not null references meetings (id),
    user_id      uuid not null references users (id),
    session_id   uuid not null references auth_sessions (id),
    peer_id      uuid not null,
    created_at   timestamptz not null,
    expires_at   timestamptz not null
);
create index meeting_tickets_expiry_idx on meeting_tickets (expires_at);
