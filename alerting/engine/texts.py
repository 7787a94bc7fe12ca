"""Wording of decisions: a one-line clinician explanation and a plain-language patient text.

The clinician line leads with what was seen and the limit it crossed, then whether the limit is
the programme default or this patient's override, so it reads in a few seconds on a worklist. It
is written in English and in bokmål from the same finding: finders say what they saw as phrases
(alerting/engine/types.py, `Phrase`), phrasebook.py holds the words, and `say` puts them in a
language with its numbers ("38,2"), dates ("19. nov kl. 08:00") and plurals.
Patient texts are bokmål and English; a high-severity text always begins with what to do now,
"call 113" (or, for peritoneal-dialysis peritonitis, "call the dialysis unit today"), because the
unit may not see the alert for minutes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from alerting.engine.phrasebook import (
    BASES_NB,
    CODES,
    COUNTED_UNITS,
    JOINERS,
    LABELS,
    MONTHS_NB,
    PHRASES,
    TERMS,
    TITLES_NB,
    UNITS,
    YES_NO,
)
from alerting.engine.types import Amount, Finding, Listing, LocalText, Phrase, Provenance, Rule, Term, Words, phrase

Language = Literal["en", "nb"]
LANGUAGES: tuple[Language, ...] = ("en", "nb")
OPERATORS = {">": ">", ">=": "≥", "<": "<", "<=": "≤"}
_QUOTE_LIMIT = 140  # characters of an override's reason an explanation quotes

# Canonical units of the measurement types (migrations/0003_measurements.sql); alerting may not
# import the measurements package, and these are what the values arrive in.
TYPE_UNITS = {
    "body_weight": "g",
    "feeding_volume": "mL",
    "body_temperature": "Cel",
    "spo2": "%",
    "heart_rate": "/min",
    "respiratory_rate": "/min",
    "blood_pressure": "mm[Hg]",
    "ultrafiltration_volume": "mL",
    "wet_nappies": "",
    "stools": "",
    "vomiting": "",
}

# The severity sentence every patient text ends (or, for high, begins) with.
_HIGH = ("Ring 113 nå.", "Call 113 now.")
# Where a high alert's first instruction is not 113, by rule group: peritonitis in peritoneal
# dialysis is assessed by the dialysis unit the same day, with the bag (ISPD), not by the
# emergency number.
_HIGH_INSTEAD = {"pd_peritonitis": ("Ring dialyseavdelingen i dag.", "Call the dialysis unit today.")}
_MEDIUM = (
    "Avdelingen har fått beskjed og tar kontakt. Blir det akutt verre, ring 113.",
    "Your care team has been told and will contact you. If things get acutely worse, call 113.",
)
_LOW = ("Avdelingen ser på dette ved neste gjennomgang.", "Your care team will look at this at the next review.")
_GENERIC = (
    "En registrering er utenfor grensen avdelingen har satt.",
    "A registration is outside the limit your care team has set.",
)


def _in(entry: tuple[str, str], language: Language) -> str:
    return entry[0] if language == "en" else entry[1]


def term(key: str, language: Language = "en") -> str:
    """A word of the phrasebook: a term, or an observation type's label; a type it lacks is named
    from its code (a form answer by its item: "new_confusion" → "New confusion")."""
    if key in TERMS:
        return _in(TERMS[key], language)
    if key in LABELS:
        return _in(LABELS[key], language)
    if ":" in key:
        return key.partition(":")[2].replace("_", " ")  # a component or code we have no word for
    return key.rpartition("/")[2].replace("_", " ").capitalize()


def unit_text(unit: str, language: Language = "en") -> str:
    return _in(UNITS[unit], language) if unit in UNITS else unit


def number(value: float, unit: str, language: Language = "en") -> str:
    # Temperature keeps its decimal (38.0 is a clinical cut-off, "38" reads as rounded); grams and
    # millilitres read best whole; anything else gets one decimal when it has one.
    if unit in ("g", "mL"):
        places = 0
    elif unit == "Cel":
        places = 1
    else:
        places = 0 if float(value).is_integer() else 1
    return _decimal(f"{value:.{places}f}", language)


def _decimal(text: str, language: Language) -> str:
    if text.lstrip("+-").replace("0", "").replace(".", "") == "":
        text = text.lstrip("-")  # never "-0"
    return text.replace(".", ",") if language == "nb" else text


def quantity(value: Any, unit: str, language: Language = "en") -> str:
    if isinstance(value, bool):
        return _in(YES_NO[value], language)
    if value is None:
        return "—"
    if isinstance(value, str):
        return _in(CODES[value], language) if value in CODES else value
    if unit in COUNTED_UNITS:
        return counted(value, COUNTED_UNITS[unit][0 if language == "en" else 1], language)
    shown = unit_text(unit, language)
    # Norwegian writes "67,5 %", English "67.5%".
    separator = "" if shown == "" or (shown == "%" and language == "en") else " "
    return f"{number(value, unit, language)}{separator}{shown}"


def counted(value: float, words: tuple[str, str], language: Language = "en") -> str:
    """A number and its word, singular for exactly 1: "1 day", "2 days"; "1 dag", "2 dager"."""
    return f"{number(value, '', language)} {words[0] if value == 1 else words[1]}"


def local_time(instant: datetime, time_zone: str, language: Language = "en") -> str:
    """An instant on the patient's wall clock: "19 Nov 08:00", "19. nov kl. 08:00"."""
    local = instant.astimezone(ZoneInfo(time_zone))
    if language == "nb":
        return f"{short_day(local.date(), language)} kl. {local:%H:%M}"
    return local.strftime("%d %b %H:%M").lstrip("0")


def short_day(day: date, language: Language = "en") -> str:
    """A local day: "19 Nov", "19. nov"."""
    if language == "nb":
        return f"{day.day}. {MONTHS_NB[day.month - 1]}"
    return day.strftime("%d %b").lstrip("0")


# -- phrases --------------------------------------------------------------------------------------

# "{name}", "{name:format}" or "{name|word}", "{name|singular|plural}" (phrasebook.py).
_PLACEHOLDER = re.compile(r"\{(\w+)(?::([^}|]+))?(?:\|([^}]+))?\}")


def say(words: Words | None, language: Language, time_zone: str) -> str:
    """What a finding says (a phrase or a term) in a language, instants on the patient's clock."""
    if words is None:
        return ""
    if isinstance(words, Term):
        return term(words.key, language)
    return _fill(_in(PHRASES[words.key], language), words.args, language, time_zone)


def _fill(template: str, args: Mapping[str, Any], language: Language, time_zone: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name, spec, count_words = match[1], match[2], match[3]
        if name not in args:
            return match[0]
        value = args[name]
        if count_words:
            words = count_words.split("|")
            amount = value.value if isinstance(value, Amount) else value
            return counted(amount, (words[0], words[0] + "s") if len(words) == 1 else (words[0], words[1]), language)
        return _word(value, spec, language, time_zone)

    return _PLACEHOLDER.sub(fill, template)


def _word(value: Any, spec: str | None, language: Language, time_zone: str) -> str:
    """One value of a phrase as the reader's language writes it."""
    if value is None:
        return ""
    if isinstance(value, Phrase | Term):
        text = say(value, language, time_zone)
    elif isinstance(value, Listing):
        joiner = _in(JOINERS[value.joiner], language) if value.joiner in JOINERS else value.joiner
        words = [_word(item, None, language, time_zone) for item in value.items]
        text = joiner.join(dict.fromkeys(words) if value.unique else words)
    elif isinstance(value, Amount):
        bare = value.bare and isinstance(value.value, int | float) and not isinstance(value.value, bool)
        text = number(value.value, value.unit, language) if bare else quantity(value.value, value.unit, language)
    elif isinstance(value, LocalText):
        text = value.nb if language == "nb" else value.en
    elif isinstance(value, bool):
        text = _in(YES_NO[value], language)
    elif isinstance(value, datetime):
        text = local_time(value, time_zone, language)
    elif isinstance(value, date):
        text = short_day(value, language)
    elif isinstance(value, int | float):
        return _decimal(format(value, spec), language) if spec else number(value, "", language)
    else:
        text = str(value)
    if spec == "lower":
        return text if text[1:2].isupper() else text.lower()  # "BP", "SpO2", "PD effluent" stay
    if spec == "capital":
        return text[:1].upper() + text[1:]
    return text


# -- titles and explanations ----------------------------------------------------------------------


def title(rule: Rule, language: Language = "en") -> str:
    """The rule's title with the numbers in force: a template such as "Growth below {limit}
    g/kg/day" or "No weight for {days|day}" (a word after "|" is counted: "1 day", "2 days") is
    filled from the rule's params, so an override's title shows the override's limit. In bokmål
    from `TITLES_NB`; a title it lacks stays English."""
    if not rule.title:
        return rule.code
    unit = TYPE_UNITS.get(rule.params.get("type", ""), "") if rule.kind == "threshold" else ""
    numbers = {
        name: Amount(value, unit, bare=True) if name == "limit" else value
        for name, value in rule.params.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    template = TITLES_NB.get(rule.title, rule.title) if language == "nb" else rule.title
    return _fill(template, numbers, language, "UTC")


def explanation(
    rule: Rule, finding: Finding, time_zone: str, language: Language = "en", *, received_at: datetime | None = None
) -> str:
    """The clinician's line: what was seen against the limit, where the limit comes from (and who
    set an override, and why), the finding's detail, and, for late data (`received_at`), when it
    was measured and when it arrived."""
    limit = _limit(rule.params, finding.unit)
    seen: Words = finding.label
    if finding.value is not None:
        seen = phrase("seen", label=finding.label, value=Amount(finding.value, finding.unit))
    if rule.kind == "answer":
        line = phrase("line_answer", seen=seen, limit=limit)
    elif rule.kind == "missing":
        line = phrase("line_missing", seen=finding.label, limit=limit)
    else:
        line = phrase("line", seen=seen, limit=limit)
    sentences = [line, _origin(rule, finding.unit)]
    if rule.source == "patient" and rule.provenance is not None:
        sentences.append(_provenance(rule.provenance))
    sentences += finding.detail
    if received_at is not None and finding.at is not None:
        sentences.append(phrase("late", at=finding.at, received=received_at))
    return " ".join(text for sentence in sentences if (text := say(sentence, language, time_zone)))


def _origin(rule: Rule, unit: str) -> Phrase:
    """Where the limit comes from: the programme default (with its clinical basis) or an override."""
    floor = phrase("origin_floor") if rule.safety_floor else None
    if rule.source == "patient":
        default = None
        if rule.default_params is not None:
            was, now = _limit(rule.default_params, unit), _limit(rule.params, unit)
            if _word(was, None, "en", "UTC") != _word(now, None, "en", "UTC"):
                default = phrase("origin_default", limit=was)
        return phrase("origin_patient", default=default, floor=floor)
    basis = None
    if rule.basis:
        basis = phrase("origin_basis", basis=LocalText(en=rule.basis, nb=BASES_NB.get(rule.basis, rule.basis)))
    return phrase("origin_programme", basis=basis, floor=floor)


def _provenance(provenance: Provenance) -> Phrase:
    """Who set an override, when, why (quoted, shortened) and until when."""
    reason = " ".join(provenance.reason.split())
    if len(reason) > _QUOTE_LIMIT:
        reason = reason[: _QUOTE_LIMIT - 1] + "…"
    until = None if provenance.expires_at is None else phrase("provenance_until", at=provenance.expires_at)
    return phrase("provenance", name=provenance.set_by_name, at=provenance.set_at, reason=reason, until=until)


def _limit(params: Mapping[str, Any], unit: str) -> Any:
    """A rule's limit as its explanation states it: "≥ 38.0 °C", "1 day", "at least 2 of …", or
    the answers it alerts on."""
    if "op" in params and "limit" in params:
        operator = OPERATORS.get(params["op"], params["op"])
        return phrase("limit_op", op=operator, limit=Amount(float(params["limit"]), unit))
    if "days" in params and "of" in params:
        return phrase("limit_days", days=params["days"])
    if "hours" in params and "of" in params:
        return phrase("limit_hours", hours=params["hours"])
    if "match" in params and "at_least" in params:
        specs = Listing(tuple(spec_words(spec) for spec in params["match"]))
        return phrase("limit_at_least", count=params["at_least"], specs=specs)
    if "match" in params:
        answers: list[Any] = [Amount(code) for spec in params["match"] for code in spec.get("any_of", [])]
        answers += [spec_words(spec) for spec in params["match"] if "op" in spec]
        alerts_on = Listing(tuple(answers), unique=True) if answers else Term("any_answer")
        if not params.get("with_any"):
            return alerts_on
        also = Listing(tuple(spec_words(spec) for spec in params["with_any"]), "or", unique=True)
        return phrase("limit_with", codes=alerts_on, also=also, hours=params.get("within_hours", 24))
    return None


def spec_words(spec: Mapping[str, Any]) -> Phrase:
    """One match spec of a rule: "temperature ≥ 38.0 °C", "pd effluent cloudy"."""
    condition = None
    if "any_of" in spec:
        condition = phrase("spec_codes", codes=Listing(tuple(Amount(code) for code in spec["any_of"]), "/"))
    elif "op" in spec:
        limit = Amount(float(spec["limit"]), TYPE_UNITS.get(spec["type"], ""))
        condition = phrase("spec_limit", op=OPERATORS[spec["op"]], limit=limit)
    if "component" in spec:
        component = Term("component:" + spec["component"])
        return phrase("spec_component", component=component, label=Term(spec["type"]), condition=condition)
    return phrase("spec", label=Term(spec["type"]), condition=condition)


def first_instruction(rule: Rule) -> tuple[str, str]:
    """What a high alert's patient text begins with (bokmål, English): "call 113", unless the
    rule's finding has another right first step."""
    return _HIGH_INSTEAD.get(rule.group or rule.code, _HIGH)


def patient_text(rule: Rule, finding: Finding) -> LocalText:
    base = (rule.patient_text.nb, rule.patient_text.en) if rule.patient_text else _GENERIC
    nb, en = (
        text.replace("{value}", quantity(finding.value, finding.unit, language)).strip()
        for text, language in zip(base, ("nb", "en"), strict=True)
    )
    if rule.severity == "high":
        first = first_instruction(rule)
        return LocalText(nb=f"{first[0]} {nb}", en=f"{first[1]} {en}")
    tail = _MEDIUM if rule.severity == "medium" else _LOW
    return LocalText(nb=f"{nb} {tail[0]}", en=f"{en} {tail[1]}")
