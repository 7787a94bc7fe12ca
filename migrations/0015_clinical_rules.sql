-- Clinical rules, second round (issue 14): alerts that keep the words of their worst finding, and
-- per-patient parameters that change with a history.

-- How bad the finding behind an alert's title, explanation and patient text is: severity rank
-- × 100 plus the rule's tier within its group (an earlier rule of a group is the worse finding
-- at the same severity, e.g. "NEWS2 5 or more" before "a single parameter scores 3"). A new
-- breach takes over the texts only when it is at least this bad, so an alert's words always
-- describe its current severity and the worst finding that made it.
alter table alerts add column finding_rank smallint;
update alerts set finding_rank = severity_rank * 100;
alter table alerts alter column finding_rank set not null;
