"""Wording of decisions: a one-line clinician explanation and a plain-language patient text.

The clinician line leads with what was seen and the limit it crossed, then whether the limit is
the programme default or this patient's override, so it reads in a few seconds on a worklist.
Patient texts are bokmål and English; a high-severity text always begins with what to do now,
"call 113" (or, for peritoneal-dialysis peritonitis, "call the dialysis unit today"), because the
unit may not see the alert for minutes.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from alerting.engine.types import Finding, LocalText, Provenance, Rule

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
_DISPLAY_UNITS = {
    "Cel": "°C",
    "mm[Hg]": "mmHg",
    "g/kg/d": "g/kg/day",
    "g/d": "g/day",
    "d": "days",
    "h": "hours",
    "": "",
}
_LABELS = {
    "body_temperature": "Temperature",
    "body_weight": "Weight",
    "spo2": "SpO2",
    "heart_rate": "Pulse",
    "respiratory_rate": "Resp. rate",
    "blood_pressure": "BP",
    "ultrafiltration_volume": "Net UF",
    "effluent_appearance": "PD effluent",
    "vomiting": "Vomit",
    "contact_request": "Contact request",
    "premature-daily/vomit_colour": "Vomit colour (daily check)",
    "premature-daily/tube_problem": "Tube problem (daily check)",
    "premature-worried/worried": "Parent worried",
    "pd-session/abdominal_pain": "Abdominal pain",
    "copd-symptom-diary/new_confusion": "New confusion",
    "copd-symptom-diary/more_breathless": "More breathless",
    "copd-symptom-diary/sputum_colour_changed": "Sputum colour changed",
    "copd-symptom-diary/sputum_volume_increased": "More sputum",
    "copd-weekly-wellbeing/score": "Weekly wellbeing score",
    "wet_nappies": "Wet nappies",
    "feeding_volume": "Feed",
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


def label(type_: str) -> str:
    if type_ in _LABELS:
        return _LABELS[type_]
    return type_.rpartition("/")[2].replace("_", " ").capitalize()  # a form answer: its item


def unit_text(unit: str) -> str:
    return _DISPLAY_UNITS.get(unit, unit)


def number(value: float, unit: str, language: str = "en") -> str:
    # Temperature keeps its decimal (38.0 is a clinical cut-off, "38" reads as rounded); grams and
    # millilitres read best whole; anything else gets one decimal when it has one.
    if unit in ("g", "mL"):
        places = 0
    elif unit == "Cel":
        places = 1
    else:
        places = 0 if float(value).is_integer() else 1
    text = f"{value:.{places}f}"
    if float(text) == 0:
        text = text.lstrip("-")
    return text.replace(".", ",") if language == "nb" else text


_SPANS = {
    "d": {"en": ("day", "days"), "nb": ("dag", "dager")},
    "h": {"en": ("hour", "hours"), "nb": ("time", "timer")},
}
_YES_NO = {"en": {True: "yes", False: "no"}, "nb": {True: "ja", False: "nei"}}


def quantity(value: Any, unit: str, language: str = "en") -> str:
    if isinstance(value, bool):
        return _YES_NO[language][value]
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if unit in _SPANS:
        one, many = _SPANS[unit][language]
        return f"{number(value, unit, language)} {one if value == 1 else many}"
    shown = unit_text(unit)
    # Norwegian writes "67,5 %", English "67.5%".
    separator = "" if shown == "" or (shown == "%" and language == "en") else " "
    return f"{number(value, unit, language)}{separator}{shown}"


def local_time(instant: datetime, time_zone: str) -> str:
    return instant.astimezone(ZoneInfo(time_zone)).strftime("%d %b %H:%M").lstrip("0")


def plural(count: float, word: str) -> str:
    return f"{number(count, '')} {word}{'' if count == 1 else 's'}"


def _spec(spec: dict[str, Any]) -> str:
    text = label(spec["type"]).lower()
    if "component" in spec:
        text = f"{spec['component']} {text}"
    if "any_of" in spec:
        text += " " + "/".join(quantity(code, "") for code in spec["any_of"])
    elif "op" in spec:
        text += f" {OPERATORS[spec['op']]} {quantity(float(spec['limit']), TYPE_UNITS.get(spec['type'], ''))}"
    return text


def _limit(params: dict[str, Any], unit: str) -> str:
    if "op" in params and "limit" in params:
        return f"{OPERATORS.get(params['op'], params['op'])} {quantity(float(params['limit']), unit)}"
    if "days" in params and "of" in params:
        return plural(params["days"], "day")
    if "hours" in params and "of" in params:
        return plural(params["hours"], "hour")
    if "match" in params and "at_least" in params:
        return f"at least {params['at_least']} of " + ", ".join(_spec(spec) for spec in params["match"])
    if "match" in params:
        codes = dict.fromkeys(quantity(code, "") for spec in params["match"] for code in spec.get("any_of", []))
        codes.update(dict.fromkeys(_spec(spec) for spec in params["match"] if "op" in spec))
        text = ", ".join(codes) or "any"
        if params.get("with_any"):
            also = " or ".join(dict.fromkeys(_spec(spec) for spec in params["with_any"]))
            text += f", with {also} within {params.get('within_hours', 24)} h"
        return text
    return ""


_PLACEHOLDER = re.compile(r"\{(\w+)(?:\|([^}]+))?\}")

# The clinicians' titles in bokmål, by the English template of the rule (alerting/engine/defaults.py).
# A counted word is "{days|dag|dager}": singular and plural, as Norwegian does not add an "s".
TITLES_NB = {
    "Patient asks to be contacted": "Pasienten ber om å bli kontaktet",
    "Fever {limit} °C or more, infant under {max_age_months} months": (
        "Feber {limit} °C eller mer, barn under {max_age_months} måneder"
    ),
    "Fever {limit} °C or more, infant {min_age_months} months or older": (
        "Feber {limit} °C eller mer, barn {min_age_months} måneder eller eldre"
    ),
    "Temperature below {limit} °C": "Temperatur under {limit} °C",
    "Growth below {limit} g/kg/day": "Vekst under {limit} g/kg/døgn",
    "No growth over {days|day}": "Ingen vekst over {days|dag|dager}",
    "Weight gain below {limit} g/day": "Vektøkning under {limit} g/døgn",
    "No weight gain over {days|day}": "Ingen vektøkning over {days|dag|dager}",
    "Weight loss over {limit} % in a day": "Vekttap over {limit} % på ett døgn",
    "Weight down {limit} days in a row": "Vekten ned {limit} dager på rad",
    "Weight over {limit} % below the week's highest": "Vekten over {limit} % under ukens høyeste",
    "Intake below {limit} % of plan": "Inntak under {limit} % av plan",
    "Fewer than {limit} feeds in a day": "Færre enn {limit} måltider på et døgn",
    "Fewer than {limit} wet nappies in a day": "Færre enn {limit} våte bleier på et døgn",
    "No wet nappy for {hours|hour}": "Ingen våt bleie på {hours|time|timer}",
    "More than {limit} large vomits in {hours} hours": "Mer enn {limit} store oppkast på {hours} timer",
    "Green (bilious) vomit": "Grønt (gallefarget) oppkast",
    "Parent is worried": "Foreldre er bekymret",
    "Feeding tube problem": "Problem med sonden",
    "No weight for {days|day}": "Ingen vekt på {days|dag|dager}",
    "NEWS2 {limit} or more": "NEWS2 {limit} eller mer",
    "NEWS2 single parameter scores {limit}": "NEWS2 enkeltparameter gir {limit}",
    "SpO2 below personal target": "SpO2 under personlig mål",
    "SpO2 {limit} points or more below own baseline": "SpO2 {limit} poeng eller mer under eget utgangsnivå",
    "Flare-up signs: all 3": "Tegn på forverring: alle 3",
    "Flare-up signs: {at_least} of 3": "Tegn på forverring: {at_least} av 3",
    "Weekly wellbeing score up {limit} or more": "Ukentlig trivselsskår opp {limit} eller mer",
    "No registration for {days|day}": "Ingen registrering på {days|dag|dager}",
    "Cloudy PD effluent": "Uklart PD-dialysat",
    "Cloudy PD effluent with pain or fever": "Uklart PD-dialysat med smerte eller feber",
    "Abdominal pain (PD)": "Magesmerter (PD)",
    "Fever {limit} °C or more": "Feber {limit} °C eller mer",
    "Weight over {limit} kg above dry weight": "Vekt over {limit} kg over tørrvekt",
    "Weight up over {limit} kg in {days|day}": "Vekten opp over {limit} kg på {days|dag|dager}",
    "Weight over {limit} kg above dry weight with breathlessness or oedema": (
        "Vekt over {limit} kg over tørrvekt med tung pust eller ødem"
    ),
    "Weight up over {limit} kg in {days|day} with breathlessness or oedema": (
        "Vekten opp over {limit} kg på {days|dag|dager} med tung pust eller ødem"
    ),
    "Weight gain between sessions over {limit} % of dry weight": (
        "Vektøkning mellom behandlinger over {limit} % av tørrvekt"
    ),
    "Weight gain between sessions over {limit} % with breathlessness or oedema": (
        "Vektøkning mellom behandlinger over {limit} % med tung pust eller ødem"
    ),
    "Weight after dialysis over {limit} kg above dry weight on {sessions} sessions": (
        "Vekt etter dialyse over {limit} kg over tørrvekt ved {sessions} behandlinger"
    ),
    "Systolic BP 100 or less with dizziness": "Systolisk BT 100 eller lavere med svimmelhet",
    "Systolic BP {limit} or more": "Systolisk BT {limit} eller høyere",
    "Systolic BP {limit} or less": "Systolisk BT {limit} eller lavere",
    "Diastolic BP {limit} or more": "Diastolisk BT {limit} eller høyere",
    "Negative net UF {limit} days in a row": "Negativ netto UF {limit} dager på rad",
    "Net UF over {limit} % below its 7-day median": "Netto UF over {limit} % under 7-dagers median",
    "No dialysis session registered on {days|scheduled day}": (
        "Ingen dialysebehandling registrert på {days|planlagt dag|planlagte dager}"
    ),
}


def title(rule: Rule, language: str = "en") -> str:
    """The rule's title with the numbers in force: a template such as "Growth below {limit}
    g/kg/day" or "No weight for {days|day}" (a word after "|" is counted: "1 day", "2 days") is
    filled from the rule's params, so an override's title shows the override's limit. In bokmål
    (`language` "nb") from `TITLES_NB`; a title it lacks stays English."""
    unit = TYPE_UNITS.get(rule.params.get("type", ""), "") if rule.kind == "threshold" else ""
    template = TITLES_NB.get(rule.title, rule.title) if language == "nb" else rule.title

    def fill(match: re.Match[str]) -> str:
        value = rule.params.get(match[1])
        if not isinstance(value, int | float) or isinstance(value, bool):
            return match[0]
        if match[2]:
            words = match[2].split("|")
            if len(words) == 1:
                return plural(value, words[0])
            return f"{number(value, '', language)} {words[0] if value == 1 else words[1]}"
        return number(float(value), unit if match[1] == "limit" else "", language)

    return _PLACEHOLDER.sub(fill, template) if template else rule.code


def origin(rule: Rule, unit: str, time_zone: str) -> str:
    """Where the limit comes from: the programme default (with its clinical basis) or an override,
    with who set it, when and why."""
    if rule.source == "patient":
        text = "Patient override"
        if rule.default_params is not None and _limit(rule.default_params, unit) != _limit(rule.params, unit):
            text += f" (programme default {_limit(rule.default_params, unit)})"
    else:
        text = "Programme default"
        if rule.basis:
            text += f" ({rule.basis})"
    if rule.safety_floor:
        text += "; safety floor"
    text += "."
    if rule.source == "patient" and rule.provenance is not None:
        text += " " + _provenance(rule.provenance, time_zone)
    return text


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _QUOTE_LIMIT else text[: _QUOTE_LIMIT - 1] + "…"


def _provenance(provenance: Provenance, time_zone: str) -> str:
    text = f"Override set by {provenance.set_by_name} {local_time(provenance.set_at, time_zone)}"
    text += f': "{_quote(provenance.reason)}"'
    if provenance.expires_at is not None:
        text += f", until {local_time(provenance.expires_at, time_zone)}"
    return text + "."


def explanation(rule: Rule, finding: Finding, time_zone: str, *, received_at: datetime | None = None) -> str:
    """The clinician's line: what was seen against the limit, where the limit comes from (and who
    set an override, and why), the finding's detail, and, for late data (`received_at`), when it
    was measured and when it arrived."""
    seen = finding.label if finding.value is None else f"{finding.label} {quantity(finding.value, finding.unit)}"
    if rule.kind == "answer":
        line = f"{seen} (alerts on: {_limit(rule.params, finding.unit)})."
    elif rule.kind == "missing":
        line = f"{finding.label} (limit {_limit(rule.params, finding.unit)})."
    else:
        line = f"{seen} {_limit(rule.params, finding.unit)}."
    parts = [line, origin(rule, finding.unit, time_zone)]
    if finding.detail:
        parts.append(finding.detail)
    if received_at is not None and finding.at is not None:
        parts.append(
            f"Late data: measured {local_time(finding.at, time_zone)}, received {local_time(received_at, time_zone)}."
        )
    return " ".join(parts)


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
