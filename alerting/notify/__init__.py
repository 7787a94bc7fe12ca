"""Who is told of an alert, and when: the units' notification policies (staffed hours, who gets
which severity, timers), re-notification, the morning digest, the family's pushes and the promise
every patient text carries."""
