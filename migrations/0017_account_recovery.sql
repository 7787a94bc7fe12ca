-- A patient or guardian who lost their only phone gets back in without a code that one person
-- could use to become them: a clinician of the patient issues a recovery code for that account
-- (and hands it over), and it works only once a second clinician of the patient has confirmed it.
-- The issuer never confirms their own; the confirmer never sees the code. The session it starts
-- records the code, so both clinicians show wherever the session does.
create table recovery_codes (
    id            uuid primary key,
    code_hash     bytea not null unique,
    -- The patient whose care team vouches; the account is the patient's own or a guardian's.
    patient_id    uuid not null references patients (id),
    user_id       uuid not null references users (id),
    reason        text not null check (length(reason) between 1 and 500),
    requested_by  uuid not null references users (id),
    created_at    timestamptz not null,
    expires_at    timestamptz not null,
    confirmed_by  uuid references users (id),
    confirmed_at  timestamptz,
    used_at       timestamptz,
    check (confirmed_by is null or confirmed_by <> requested_by),
    check ((confirmed_by is null) = (confirmed_at is null))
);
create index recovery_codes_patient_idx on recovery_codes (patient_id, created_at desc);

alter table auth_sessions
    add column recovery_code_id uuid references recovery_codes (id),
    drop constraint auth_sessions_one_code,
    add constraint auth_sessions_one_code check (num_nonnulls(activation_code_id, device_code_id, recovery_code_id) <= 1);
