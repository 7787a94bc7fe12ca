"""The response-time promise as a family reads it (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

from alerting.notify.policy import Policy, Staffed
from alerting.notify.promise import UnitPromise, choose, contact_reply, promise_text, with_promise

DAY_UNIT = Policy(staffed=Staffed(start="08:00", end="22:00"), phone="+47 00 00 00 00")
TEXT = {"nb": "Temperaturen er lav.", "en": "The temperature is low."}


def test_the_promise_names_the_hours_and_whom_to_call_otherwise():
    said = promise_text(UnitPromise(2, DAY_UNIT))
    assert said == {
        "nb": "Avdelingen svarer innen 2 timer mellom kl. 08.00 og kl. 22.00. "
        "Ellers kan du ringe avdelingen på +47 00 00 00 00.",
        "en": "The unit answers within 2 hours between 08:00 and 22:00. "
        "At other times, call the unit on +47 00 00 00 00.",
    }


def test_a_unit_around_the_clock_without_a_promise_says_nothing_new():
    assert promise_text(UnitPromise(None, Policy())) is None
    assert with_promise(TEXT, "medium", UnitPromise(None, Policy())) == TEXT


def test_medium_and_low_texts_carry_it_and_high_texts_keep_their_first_instruction():
    promise = UnitPromise(1, DAY_UNIT)
    assert with_promise(TEXT, "low", promise)["en"].startswith(
        "The temperature is low. The unit answers within 1 hour "
    )
    high = {"nb": "Ring 113 nå.", "en": "Call 113 now."}
    assert with_promise(high, "high", promise) == high


def test_the_shortest_promise_wins():
    four, two, none = UnitPromise(4, DAY_UNIT), UnitPromise(2, Policy()), UnitPromise(None, DAY_UNIT)
    assert choose([four, none, two]) is two
    assert choose([]) is None


def test_the_reply_when_the_unit_is_closed_says_when_it_opens():
    late_evening = datetime(2026, 11, 23, 22, 30, tzinfo=UTC)  # 23:30 Monday in Oslo
    reply = contact_reply(UnitPromise(2, DAY_UNIT), late_evening)
    assert "The unit is closed now and opens tomorrow at 08:00." in reply["en"]
    assert "Avdelingen er stengt nå og åpner i morgen kl. 08.00." in reply["nb"]
    assert reply["en"].endswith("In an emergency, call 113.")
    open_now = contact_reply(UnitPromise(2, DAY_UNIT), datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    assert "closed" not in open_now["en"] and "within 2 hours" in open_now["en"]
