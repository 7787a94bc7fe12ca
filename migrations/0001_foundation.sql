-- Foundation: organisations, people, patients, enrolments, sign-in and the access log.
-- Ids are UUIDs chosen by the application; every timestamp is timestamptz.

create table organisations (
    id          uuid primary key,
    name        text not null check (length(name) between 1 and 200),
    kind        text not null check (kind in ('hospital', 'municipality')),
    created_at  timestamptz not null default now()
);

create table units (
    id               uuid primary key,
    organisation_id  uuid not null references organisations (id),
    name             text not null check (length(name) between 1 and 200),
    created_at       timestamptz not null default now(),
    unique (organisation_id, name)
);

-- One table for every person who signs in. Staff have a username and password; patients and
-- guardians sign in with activation codes. external_issuer/external_subject is the seam for OIDC
-- (HelseID for staff, ID-porten for patients and parents).
create table users (
    id                uuid primary key,
    role              text not null check (role in ('admin', 'clinician', 'patient', 'guardian')),
    username          text,
    password_hash     text,
    display_name      text not null check (length(display_name) between 1 and 200),
    profession        text,
    external_issuer   text,
    external_subject  text,
    created_at        timestamptz not null default now(),
    disabled_at       timestamptz,
    check ((role in ('admin', 'clinician')) = (username is not null) or external_subject is not null),
    check (role = 'clinician' or profession is null),
    check ((external_issuer is null) = (external_subject is null)),
    unique (external_issuer, external_subject)
);
create unique index users_username_key on users (lower(username));

create table unit_memberships (
    user_id     uuid not null references users (id),
    unit_id     uuid not null references units (id),
    created_at  timestamptz not null default now(),
    primary key (user_id, unit_id)
);
create index unit_memberships_unit_idx on unit_memberships (unit_id);

create table patients (
    id                  uuid primary key,
    display_name        text not null check (length(display_name) between 1 and 200),
    birth_date          date not null,
    time_zone           text not null default 'Europe/Oslo',
    -- The unit that registered the patient: it may see and enrol them until a first enrolment
    -- exists; from then on only active enrolments grant clinicians access.
    registered_unit_id  uuid not null references units (id),
    -- The patient's own sign-in, once they have activated a phone.
    user_id             uuid unique references users (id),
    created_by          uuid not null references users (id),
    created_at          timestamptz not null default now()
);

create table guardianships (
    guardian_id  uuid not null references users (id),
    patient_id   uuid not null references patients (id),
    created_at   timestamptz not null default now(),
    primary key (guardian_id, patient_id)
);
create index guardianships_patient_idx on guardianships (patient_id);

-- The programme catalogue is data: later migrations add measurement types, forms and rules.
create table programmes (
    code               text primary key,
    version            integer not null,
    title              jsonb not null,
    description        jsonb not null,
    parameters         jsonb not null default '[]',
    measurement_types  jsonb not null default '[]',
    forms              jsonb not null default '[]',
    rules              jsonb not null default '[]'
);

create table enrolments (
    id          uuid primary key,
    patient_id  uuid not null references patients (id),
    unit_id     uuid not null references units (id),
    programme   text not null references programmes (code),
    parameters  jsonb not null default '{}',
    started_at  timestamptz not null,
    ended_at    timestamptz,
    created_by  uuid not null references users (id),
    created_at  timestamptz not null default now(),
    check (ended_at is null or ended_at > started_at)
);
create index enrolments_patient_idx on enrolments (patient_id);
create index enrolments_unit_idx on enrolments (unit_id, patient_id);
-- A patient follows a programme once at a time.
create unique index enrolments_one_open_per_programme on enrolments (patient_id, programme)
    where ended_at is null;

-- A sign-in on one device: a login or an activation. Revoking it ends every token it issued.
create table auth_sessions (
    id              uuid primary key,
    user_id         uuid not null references users (id),
    device_name     text,
    created_at      timestamptz not null,
    revoked_at      timestamptz,
    revoked_reason  text
);
create index auth_sessions_user_idx on auth_sessions (user_id);

-- Tokens are stored only as keyed hashes. A refresh token is used once; presenting a used one
-- again revokes its whole session (the token family).
create table auth_tokens (
    token_hash  bytea primary key,
    session_id  uuid not null references auth_sessions (id),
    kind        text not null check (kind in ('access', 'refresh')),
    expires_at  timestamptz not null,
    used_at     timestamptz,
    -- Set (with used_at) when a lost-response replay retired this token unused; presenting it
    -- later is reuse, with no replay grace of its own.
    retired_at  timestamptz,
    created_at  timestamptz not null
);
create index auth_tokens_session_idx on auth_tokens (session_id);
create index auth_tokens_expiry_idx on auth_tokens (expires_at);

create table activation_codes (
    id               uuid primary key,
    code_hash        bytea not null unique,
    patient_id       uuid not null references patients (id),
    role             text not null check (role in ('patient', 'guardian')),
    display_name     text not null check (length(display_name) between 1 and 200),
    -- Set when the code links an existing guardian (a parent of twins) to another child.
    guardian_id      uuid references users (id),
    created_by       uuid not null references users (id),
    created_at       timestamptz not null,
    expires_at       timestamptz not null,
    used_at          timestamptz,
    used_by_user_id  uuid references users (id),
    check (role = 'guardian' or guardian_id is null)
);
create index activation_codes_patient_idx on activation_codes (patient_id);

-- Failed sign-in attempts, for throttling per account and per address. Rows older than the
-- window are pruned by the worker.
create table sign_in_failures (
    id         bigint generated always as identity primary key,
    scope      text not null,
    failed_at  timestamptz not null
);
create index sign_in_failures_scope_idx on sign_in_failures (scope, failed_at);

-- Normen: who read or changed which patient's data, when, and whether it was allowed.
-- patient_id has no foreign key: a denied attempt on an id that does not exist is logged too.
create table access_log (
    id          bigint generated always as identity primary key,
    at          timestamptz not null,
    actor_id    uuid not null references users (id),
    actor_role  text not null,
    patient_id  uuid not null,
    resource    text not null,
    action      text not null check (action in ('read', 'write')),
    outcome     text not null check (outcome in ('allowed', 'denied')),
    request_id  text
);
create index access_log_patient_idx on access_log (patient_id, at desc, id desc);
create index access_log_actor_idx on access_log (actor_id, at desc);

-- The one definition of a clinician's access to a patient: an enrolment in one of the clinician's
-- units that is active at `at`; or, for a patient registered but not yet enrolled anywhere, the
-- unit that registered them (so that they can be enrolled).
create function clinician_sees_patient(patient uuid, unit_ids uuid[], at timestamptz)
returns boolean language sql stable as $$
    select exists (
        select 1 from enrolments e
        where e.patient_id = patient and e.unit_id = any(unit_ids)
          and e.started_at <= at and (e.ended_at is null or e.ended_at > at))
    or exists (
        select 1 from patients p
        where p.id = patient and p.registered_unit_id = any(unit_ids)
          and not exists (select 1 from enrolments e where e.patient_id = patient))
$$;
