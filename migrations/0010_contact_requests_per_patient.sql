-- Contact-request ids are chosen by the phone (a resend is harmless), so they are keyed per patient:
-- with a global key one family's id collided with another's, and the 409 told that it existed
-- (issue 11). Alerts refer to contact requests by id within the alert's own patient.
alter table contact_requests drop constraint contact_requests_pkey;
alter table contact_requests add primary key (patient_id, id);
