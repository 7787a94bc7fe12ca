-- Web Push subscriptions: one row per browser/phone push endpoint (docs/api.md, "Web Push").
-- The endpoint is unique across all users: a push service hands each subscription its own URL,
-- so a second user naming the same URL is refused (409), never given the first user's row.

create table push_subscriptions (
    id               uuid primary key,
    user_id          uuid not null references users (id) on delete cascade,
    endpoint         text not null unique check (length(endpoint) between 1 and 2048),
    -- The browser's keys, unpadded base64url: the 65-byte P-256 point and the 16-byte secret the
    -- payload is encrypted to (RFC 8291). Decoded and checked on the way in.
    p256dh           text not null check (length(p256dh) = 87),
    auth             text not null check (length(auth) = 22),
    -- PushSubscription.expirationTime when the browser gave one (most give null).
    expires_at       timestamptz,
    created_at       timestamptz not null,
    updated_at       timestamptz not null,
    -- Kept by the delivery worker: when a push last went through, and failures since then.
    last_success_at  timestamptz,
    last_failure_at  timestamptz,
    failure_count    integer not null default 0 check (failure_count >= 0)
);

-- Fan-out of an alert reads the subscriptions of a unit's clinicians.
create index push_subscriptions_user_idx on push_subscriptions (user_id);
