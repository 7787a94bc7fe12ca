"""FHIR R4 export of a patient's data (CLINICAL.md §4)."""
