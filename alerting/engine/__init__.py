"""The rules engine, pure: observations, rules and a patient's context in, decisions out. No
database, no I/O, no clock but `PatientContext.now` (docs/architecture.md, habit 6). The programmes'
defaults and their clinical sources live here too (`defaults.py`)."""
