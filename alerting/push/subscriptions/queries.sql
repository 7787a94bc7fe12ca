-- name: upsert_subscription
-- $1 id, $2 user, $3 endpoint, $4 p256dh, $5 auth, $6 expires_at, $7 now.
-- A new endpoint is inserted; the same user's endpoint is refreshed (keys, expiry, failures
-- forgotten: the browser just proved it is alive). Another user's endpoint is left untouched and
-- no row comes back, which the service answers with 409.
insert into push_subscriptions as s (id, user_id, endpoint, p256dh, auth, expires_at, created_at, updated_at)
values ($1, $2, $3, $4, $5, $6, $7, $7)
on conflict (endpoint) do update
    set p256dh = excluded.p256dh,
        auth = excluded.auth,
        expires_at = excluded.expires_at,
        updated_at = excluded.updated_at,
        failure_count = 0
    where s.user_id = excluded.user_id
returning id, endpoint, created_at, expires_at, (xmax = 0) as created

-- name: delete_oldest_subscriptions
-- $1 user, $2 how many to keep. Browsers replace subscriptions without telling the old endpoint;
-- the newest ones are the live ones.
delete from push_subscriptions
where id in (
    select id from push_subscriptions
    where user_id = $1
    order by updated_at desc, id
    offset $2
)

-- name: delete_own_subscription
delete from push_subscriptions where user_id = $1 and endpoint = $2

-- name: delete_subscription
delete from push_subscriptions where id = $1

-- name: select_subscriptions_of_users
select id, endpoint, p256dh, auth
from push_subscriptions
where user_id = any($1::uuid[]) and (expires_at is null or expires_at > $2)
order by user_id, created_at
