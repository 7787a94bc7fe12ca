-- Live connections end when what let them open changes (alerting/live.py): a sign-in that ends
-- (logout, token reuse, any revocation), an account disabled, unit memberships added or removed.
-- The database announces each of these on the live channel, whatever code (or operator at a psql
-- prompt) made the change, and only when its transaction commits; every process with an open
-- alert stream re-checks the streams of the users named and ends those no longer allowed.
create function announce_live_revocation() returns trigger language plpgsql as $$
declare
    subject uuid;
begin
    if tg_table_name = 'auth_sessions' then
        subject := new.user_id;
    elsif tg_table_name = 'users' then
        subject := new.id;
    elsif tg_op = 'DELETE' then
        subject := old.user_id;
    else
        subject := new.user_id;
    end if;
    perform pg_notify('heima_alerts_live', json_build_object('user_ids', json_build_array(subject))::text);
    return null;
end;
$$;

create trigger auth_sessions_revoked_live
    after update of revoked_at on auth_sessions
    for each row when (old.revoked_at is null and new.revoked_at is not null)
    execute function announce_live_revocation();

create trigger users_disabled_live
    after update of disabled_at on users
    for each row when (old.disabled_at is null and new.disabled_at is not null)
    execute function announce_live_revocation();

create trigger unit_memberships_changed_live
    after insert or delete on unit_memberships
    for each row execute function announce_live_revocation();
