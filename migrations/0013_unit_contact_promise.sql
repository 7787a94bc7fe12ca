-- What a unit promises a patient or family who asks to be contacted ("we call you within N hours").
-- The answer to a contact request names it, so the family app tells the family the unit's own
-- promise rather than one written into the app. Null: the unit has not said.
alter table units add column contact_within_hours integer
    check (contact_within_hours between 1 and 168);
