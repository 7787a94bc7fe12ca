-- name: delete_expired_tokens
-- Expired tokens can never authenticate again; a day's margin keeps refresh-reuse detection for
-- tokens that expired moments ago.
delete from auth_tokens where expires_at < $1::timestamptz - interval '1 day'

-- name: delete_old_sign_in_failures
delete from sign_in_failures where failed_at < $1
