-- request_id is the server's own id for the request (one a client cannot choose, so two rows with
-- the same id were made by the same request); the X-Request-ID a client sent, when it sent a usable
-- one, is kept beside it to find the request from the client's side.
alter table access_log add column client_request_id text;

-- 'failed': the access was allowed but the request then failed (a refusal after the check, an
-- error), so its transaction was rolled back; the row is written again after the rollback, as a
-- denial is, so that what was looked at while it ran is not lost from the log.
alter table access_log drop constraint access_log_outcome_check;
alter table access_log add constraint access_log_outcome_check check (outcome in ('allowed', 'denied', 'failed'));

-- A denied access to an object named by id (an alert, a meeting) is logged whether or not the object
-- exists: object_id is the id asked for, patient_id its patient's when there is one (null for an id
-- that names nothing). A made-up id and another unit's id then cost the same work and the same
-- write, so the answer's timing tells neither apart; and probing shows in the log.
alter table access_log add column object_id uuid;
alter table access_log alter column patient_id drop not null;
