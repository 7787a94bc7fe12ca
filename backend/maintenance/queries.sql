-- name: delete_expired_tokens
-- Expired tokens can never authenticate again; a day's margin keeps refresh-reuse detection for
-- tokens that expired moments ago.
delete from auth_tokens where expires_at < $1::timestamptz - interval '1 day'

-- name: delete_old_sign_in_failures
delete from sign_in_failures where failed_at < $1

-- name: prune_access_log
-- Up to $2 of the oldest access-log rows (by id, which grows with time: the primary key finds them
-- at once, however long the log) that were written before $1. Returns how many went and whether
-- the batch reached a row that is still kept: then there is nothing more to prune this round.
-- One batch is one short transaction that locks only the rows it deletes, which nobody else
-- writes (the log is append-only), so requests adding to the log never wait for it; SKIP LOCKED
-- lets two workers prune at once without queueing behind each other.
with oldest as (
    select id, at from access_log order by id limit $2 for update skip locked
),
pruned as (
    delete from access_log a using oldest o where a.id = o.id and o.at < $1 returning a.id
)
select (select count(*) from pruned) as deleted,
       (select count(*) < $2 or bool_or(at >= $1) from oldest) as reached_kept

-- name: prune_push_attempts
-- As prune_access_log, for push receipts; the receipts of a delivery still being sent stay (the
-- claim reads them to skip phones that already have the alert) whatever their age.
with oldest as (
    select p.id, p.at, p.delivery_id from push_attempts p order by p.id limit $2 for update of p skip locked
),
pruned as (
    delete from push_attempts p using oldest o
    where p.id = o.id and o.at < $1
      and not exists (
          select 1 from push_deliveries d
          where d.id = o.delivery_id and d.status = any('{pending,sending}'::text[]))
    returning p.id
)
select (select count(*) from pruned) as deleted,
       (select count(*) < $2 or bool_or(at >= $1) from oldest) as reached_kept
