"""FHIR R4 export of a patient's data (docs/clinical-rules.md, C5 and C6)."""
