-- A code never signs in an account that already exists (issue 11). A clinician's activation code
-- only creates a new patient or guardian account; a code naming an existing guardian links a child
-- when that guardian redeems it in their signed-in app; a new phone joins an existing account with
-- a device code its owner made on a signed-in phone. Every session says which code started it and
-- who issued that code, and every access-log row says which session made it.

-- A single-use code a signed-in patient or guardian makes for a new phone of their own account.
create table device_codes (
    id                  uuid primary key,
    code_hash           bytea not null unique,
    user_id             uuid not null references users (id),
    -- The phone (session) that made it; null for the codes `heima seed-demo` prints.
    created_by_session  uuid references auth_sessions (id),
    created_at          timestamptz not null,
    expires_at          timestamptz not null,
    used_at             timestamptz
);
create index device_codes_user_idx on device_codes (user_id);

-- Where a session came from. A staff password sign-in has neither code; issued_by is whoever issued
-- the code (a clinician, or the account itself for a device code); revoked_by is whoever ended it
-- (the account holder, or a clinician for a lost phone), null for logout and token reuse.
alter table auth_sessions
    add column activation_code_id  uuid references activation_codes (id),
    add column device_code_id      uuid references device_codes (id),
    add column issued_by           uuid references users (id),
    add column revoked_by          uuid references users (id),
    add constraint auth_sessions_one_code check (activation_code_id is null or device_code_id is null);

-- The sign-in an access was made with (null for rows written before this migration). No foreign
-- key, like patient_id: work done outside a request (the demo seeding) names no stored session.
alter table access_log add column session_id uuid;

-- sign_in_failures now holds reserved attempts: a row is taken (in flight) before a password or
-- code is checked, so parallel guesses cannot all pass the limit; a success deletes it, a failure
-- settles it. In-flight rows count towards the limit but only briefly hold it: a burst of correct
-- sign-ins from one address is told to retry in a second, not when the window ends.
alter table sign_in_failures add column in_flight boolean not null default false;
