"""The response-time promise: what a patient or parent reads about when the unit answers (pure).

Each unit states it: `contact_within_hours` (units, the family app's promise on contact requests)
and, from its notification policy, when it is staffed and the phone to call otherwise. These
functions turn it into sentences in bokmål and English and put them where a family reads them:

- `promise_text`: "The unit answers within 2 hours between 08:00 and 22:00. At other times, call
  the unit on …" (None when the unit has said nothing to promise);
- `with_promise`: an alert's patient text with the promise after it. A high alert's text is left
  as it is: it begins with what to do now ("call 113", or for peritonitis "call the dialysis unit
  today"), and a promise to answer within hours beside it would only blur that;
- `contact_reply`: the answer to a contact request, which says when the unit is closed now and
  when it opens.

A patient followed by several units is promised what the unit with the shortest promise says
(`choose`), as the contact-request answer's `contact_within_hours` is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from alerting.notify.policy import EVERY_DAY, Policy, is_staffed, next_staffed_start
from backend.timezones import local_day, zone

WEEKDAYS = [1, 2, 3, 4, 5]
_DAY_NAMES = {
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "nb": ["mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag"],
}
_EMERGENCY = {"nb": "Ved akutt fare, ring 113.", "en": "In an emergency, call 113."}


@dataclass(frozen=True, slots=True)
class UnitPromise:
    contact_within_hours: int | None
    policy: Policy


def choose(promises: Sequence[UnitPromise]) -> UnitPromise | None:
    """The shortest promise of the units following a patient; a unit that made one before one
    that did not."""
    if not promises:
        return None
    return min(promises, key=lambda p: (p.contact_within_hours is None, p.contact_within_hours or 0))


def _always(policy: Policy) -> bool:
    staffed = policy.staffed
    return staffed.start == "00:00" and staffed.end == "24:00" and sorted(staffed.days) == EVERY_DAY


def _clock(text: str, language: str) -> str:
    return f"kl. {text.replace(':', '.')}" if language == "nb" else text


def _days(days: list[int], language: str) -> str:
    if sorted(days) == EVERY_DAY:
        return ""
    if sorted(days) == WEEKDAYS:
        return " på hverdager" if language == "nb" else " on weekdays"
    names = [_DAY_NAMES[language][d - 1] for d in sorted(days)]
    joined = (
        ", ".join(names[:-1]) + (" og " if language == "nb" else " and ") + names[-1] if len(names) > 1 else names[0]
    )
    return f" {joined}" if language == "nb" else f" on {joined}"


def _hours(count: int, language: str) -> str:
    if language == "nb":
        return f"{count} {'time' if count == 1 else 'timer'}"
    return f"{count} {'hour' if count == 1 else 'hours'}"


def _window(policy: Policy, language: str) -> str:
    staffed = policy.staffed
    if language == "nb":
        between = f" mellom {_clock(staffed.start, 'nb')} og {_clock(staffed.end, 'nb')}"
    else:
        between = f" between {staffed.start} and {staffed.end}"
    if staffed.start == "00:00" and staffed.end == "24:00":
        between = ""
    return between + _days(staffed.days, language)


def _sentences(promise: UnitPromise, language: str) -> list[str]:
    policy, within = promise.policy, promise.contact_within_hours
    always = _always(policy)
    window = "" if always else _window(policy, language)
    out = []
    if within is not None:
        if language == "nb":
            out.append(f"Avdelingen svarer innen {_hours(within, 'nb')}{window}.")
        else:
            out.append(f"The unit answers within {_hours(within, 'en')}{window}.")
    elif not always:
        out.append(f"Avdelingen er bemannet{window}." if language == "nb" else f"The unit is staffed{window}.")
    if not always:
        if policy.phone:
            out.append(
                f"Ellers kan du ringe avdelingen på {policy.phone}."
                if language == "nb"
                else f"At other times, call the unit on {policy.phone}."
            )
        else:
            out.append(
                "Ellers svarer den når den åpner igjen."
                if language == "nb"
                else "At other times, it answers when it opens."
            )
    elif policy.phone:
        out.append(
            f"Haster det, ring avdelingen på {policy.phone}."
            if language == "nb"
            else f"If it cannot wait, call the unit on {policy.phone}."
        )
    return out


def promise_text(promise: UnitPromise | None) -> dict[str, str] | None:
    """The unit's promise as {"nb", "en"}, or None when it has nothing to promise."""
    if promise is None:
        return None
    texts = {language: " ".join(_sentences(promise, language)) for language in ("nb", "en")}
    return texts if texts["en"] else None


def with_promise(text: dict[str, str], severity: str, promise: UnitPromise | None) -> dict[str, str]:
    """An alert's text for the patient or parent, with the unit's promise after it (not for high
    alerts: see the module's docstring)."""
    said = promise_text(promise)
    if severity == "high" or said is None:
        return text
    return {language: f"{text[language]} {said[language]}" for language in ("nb", "en")}


def _opens(policy: Policy, now: datetime, language: str) -> str:
    opens = next_staffed_start(policy, now)
    local = opens.astimezone(zone(policy.time_zone))
    clock = _clock(local.strftime("%H:%M"), language)
    days = (local_day(opens, policy.time_zone) - local_day(now, policy.time_zone)).days
    if days == 0:
        return clock if language == "nb" else f"at {clock}"
    if days == 1:
        return f"i morgen {clock}" if language == "nb" else f"tomorrow at {clock}"
    name = _DAY_NAMES[language][local.isoweekday() - 1]
    return f"{name} {clock}" if language == "nb" else f"on {name} at {clock}"


def contact_reply(promise: UnitPromise | None, now: datetime) -> dict[str, str]:
    """What a patient or parent reads after asking to be contacted: that the care team has the
    message, when it answers, and, when the unit is closed now, when it opens and whom to call."""
    reply = {}
    for language in ("nb", "en"):
        parts = ["Vi har fått meldingen din." if language == "nb" else "Your care team has your message."]
        if promise is not None and not is_staffed(promise.policy, now):
            opens = _opens(promise.policy, now, language)
            parts.append(
                f"Avdelingen er stengt nå og åpner {opens}."
                if language == "nb"
                else f"The unit is closed now and opens {opens}."
            )
        if promise is not None:
            parts.extend(_sentences(promise, language))
        parts.append(_EMERGENCY[language])
        reply[language] = " ".join(parts)
    return reply
