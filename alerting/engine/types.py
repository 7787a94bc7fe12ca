"""The engine's shared types: what every module of alerting/engine/ and its callers speak in.

They live apart from the modules that use them (rules.py evaluates, findings.py finds, trends.py
measures, texts.py words) so that those import this one module and not each other in a circle.
No behaviour here beyond construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import msgspec

Severity = Literal["low", "medium", "high"]
Kind = Literal["threshold", "trend", "missing", "answer"]
Source = Literal["programme", "patient"]
SEVERITY_RANK: dict[str, int] = {"low": 1, "medium": 2, "high": 3}

CONTACT_REQUEST = "contact_request"
NEWS2_TOTAL, NEWS2_SINGLE = "news2", "news2_single"
# A breach measured this long before it reached us is labelled late: the clinician must know the
# value describes the past (a phone that was offline), not the patient now.
LATE_AFTER = timedelta(hours=1)


def answer_type(form: str, link_id: str) -> str:
    """The observation type of a form answer."""
    return f"{form}/{link_id}"


class LocalText(msgspec.Struct, frozen=True):
    nb: str
    en: str


class Observation(msgspec.Struct, frozen=True, kw_only=True):
    """A measurement (canonical unit), a form answer, or a contact request."""

    id: str
    type: str
    measured_at: datetime
    value: float | None = None
    code: str | bool | None = None
    components: dict[str, float] = {}
    attributes: dict[str, Any] = {}
    note: str | None = None


class Provenance(msgspec.Struct, frozen=True, kw_only=True):
    """Who set a patient's override, when, why and until when: what its explanation names."""

    set_by_name: str
    set_at: datetime
    reason: str
    expires_at: datetime | None = None


class Rule(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    kind: Kind
    params: dict[str, Any]
    severity: Severity
    enabled: bool = True
    source: Source = "programme"
    # A floor can be tightened per patient but never loosened, lowered or switched off.
    safety_floor: bool = False
    # Tiers of one finding (temperature < 36.5 / < 36.0): only the most severe one is raised.
    group: str | None = None
    # A template: "{limit}", "{days|day}" are filled from params (`texts.title`), so that an
    # override's title shows the limit in force.
    title: str = ""
    basis: str = ""  # the clinical source, short, for the explanation
    patient_text: LocalText | None = None  # "{value}" is replaced by the value in that language
    default_params: dict[str, Any] | None = None  # what a patient override replaced
    provenance: Provenance | None = None  # and who set it (`apply_override`)


class PatientContext(msgspec.Struct, frozen=True, kw_only=True):
    now: datetime
    time_zone: str = "Europe/Oslo"
    birth_date: date | None = None
    parameters: dict[str, Any] = {}  # enrolment parameters of the patient's programmes
    monitoring_since: datetime | None = None  # what "missing" counts from before a first value

    @classmethod
    def of_enrolments(
        cls,
        enrolment_parameters: Iterable[Mapping[str, Any]],
        *,
        now: datetime,
        time_zone: str,
        birth_date: date | None,
        monitoring_since: datetime | None = None,
    ) -> PatientContext:
        """A patient followed in one or more programmes: the parameters of their enrolments merged
        oldest first, so a later enrolment's value of the same name wins (the evaluation and the
        unit overview must agree on it)."""
        parameters: dict[str, Any] = {}
        for enrolment in enrolment_parameters:
            parameters.update(enrolment)
        return cls(
            now=now,
            time_zone=time_zone,
            birth_date=birth_date,
            parameters=parameters,
            monitoring_since=monitoring_since,
        )


class Decision(msgspec.Struct, frozen=True, kw_only=True):
    rule: str
    severity: Severity
    title: str
    title_nb: str  # the clinicians' title in bokmål
    explanation: str
    explanation_nb: str  # and their explanation
    patient_text: LocalText
    observation_ids: tuple[str, ...]
    worst_value: float | str | bool | None
    unit: str | None
    observed_at: datetime | None
    source: Source
    late: bool = False  # measured more than LATE_AFTER before it arrived (`evaluate` only)


# -- what a finding says, in no language yet (alerting/engine/phrasebook.py, texts.say) ----------


@dataclass(frozen=True)
class Phrase:
    """A sentence or part of one: a key of phrasebook.PHRASES and the values its template is
    filled with (numbers, dates, instants, other phrases, terms, listings; None fills nothing)."""

    key: str
    args: Mapping[str, Any] = field(default_factory=dict)


def phrase(key: str, /, **args: Any) -> Phrase:
    return Phrase(key, args)


@dataclass(frozen=True)
class Term:
    """A word of the phrasebook: a name of TERMS, or an observation type's label (LABELS)."""

    key: str


@dataclass(frozen=True)
class Amount:
    """A value in a unit, worded as texts.quantity does ("38.2 °C", "ja", a coded answer's word);
    `bare` leaves the unit out but keeps its decimals ("38.0")."""

    value: Any
    unit: str = ""
    bare: bool = False


@dataclass(frozen=True)
class Listing:
    """Items worded one by one and joined: by `joiner` as it is, or "and"/"or" in the language;
    `unique` words an item that reads the same as an earlier one only once."""

    items: tuple[Any, ...]
    joiner: str = ", "
    unique: bool = False


Words = Phrase | Term


@dataclass(frozen=True)
class Finding:
    """What a rule looked at: the value it compares with its limit, and where it came from. The
    label names it and the detail's sentences describe it, in words texts.say puts in a language."""

    value: float | str | bool | None
    unit: str
    label: Words
    observation_ids: tuple[str, ...]
    at: datetime | None
    detail: tuple[Phrase, ...] = ()


# What the entry points hand a rule that raised to, instead of failing the patient's other rules.
OnFailure = Callable[[Rule, Exception], None]
