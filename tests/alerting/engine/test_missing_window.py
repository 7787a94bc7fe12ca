"""When a missing rule's registration is due and when its alert comes (`missing_window`), and the
family's reminder at three quarters of that window (alerting/notify/reminders.py)."""

from __future__ import annotations

from datetime import timedelta

import msgspec
import pytest

from alerting.engine.rules import evaluate_missing, missing_window
from alerting.notify.reminders import due_reminders
from tests.alerting.engine.support import RULES, context, local

SECOND = timedelta(seconds=1)
HAEMODIALYSIS = {"dry_weight_kg": 70.0, "modality": "haemodialysis", "session_days": ["mon", "wed", "fri"]}


@pytest.mark.parametrize(
    ("programme", "code", "last", "parameters"),
    [
        pytest.param("premature-home", "weight_missing", "2026-11-22 09:00", {}, id="daily weight"),
        pytest.param("premature-home", "weight_missing_2_days", "2026-11-22 09:00", {}, id="two days"),
        pytest.param("premature-home", "weight_missing", "2026-10-24 09:00", {}, id="weight over a 25-hour day"),
        pytest.param("premature-home", "weight_missing", "2026-03-28 09:00", {}, id="weight over a 23-hour day"),
        pytest.param(
            "premature-home", "infant_no_wet_nappy", "2026-11-22 09:00", {"nappy_logging": "each"}, id="hours"
        ),
        pytest.param("copd", "copd_registration_missing", "2026-11-22 09:00", {}, id="four days"),
        pytest.param("home-dialysis", "dialysis_session_missing", "2026-11-20 18:00", HAEMODIALYSIS, id="scheduled"),
    ],
)
def test_the_deadline_is_when_the_rule_raises(programme, code, last, parameters):
    rules = [rule for rule in RULES[programme] if rule.code == code]
    keys = {key: local(last) for key in rules[0].params["of"]}
    keys.update({key + ">0": local(last) for key in rules[0].params["of"]})
    window = missing_window(rules[0], keys, context(local(last), **parameters))
    assert window is not None and window.gap == local(last)
    assert window.due_from < window.deadline
    assert evaluate_missing(keys, rules, context(window.deadline - SECOND, **parameters)) == []
    assert [d.rule for d in evaluate_missing(keys, rules, context(window.deadline, **parameters))] == [code]


def test_a_daily_weight_is_reminded_at_18_on_the_day_it_is_due():
    last_seen = {"body_weight": local("2026-11-22 09:00")}
    rules = RULES["premature-home"]
    assert due_reminders(last_seen, rules, context("2026-11-23 17:59")) == {}
    [(group, window)] = due_reminders(last_seen, rules, context("2026-11-23 18:00")).items()
    assert (group, window.deadline) == ("weight_missing", local("2026-11-24 00:00"))
    assert due_reminders(last_seen, rules, context("2026-11-24 00:00")) == {}


def test_a_haemodialysis_session_is_reminded_on_its_scheduled_day_only():
    last_seen = {"hd-session": local("2026-11-20 18:00")}  # Friday
    rules = RULES["home-dialysis"]
    assert due_reminders(last_seen, rules, context("2026-11-22 18:00", **HAEMODIALYSIS)) == {}  # Sunday: off
    assert set(due_reminders(last_seen, rules, context("2026-11-23 18:00", **HAEMODIALYSIS))) == {
        "dialysis_session_missing"
    }


def test_a_rule_that_cannot_be_counted_is_reported_and_the_others_still_remind():
    rules = RULES["premature-home"]
    [weight] = [r for r in rules if r.code == "weight_missing"]
    broken = msgspec.structs.replace(weight, code="broken", group=None, params={"of": ["stools"]})
    failed: list[str] = []
    due = due_reminders(
        {"body_weight": local("2026-11-22 09:00"), "stools": local("2026-11-22 09:00")},
        [broken, *rules],
        context("2026-11-23 18:00"),
        on_failure=lambda rule, error: failed.append(rule.code),
    )
    assert (set(due), failed) == ({"weight_missing"}, ["broken"])
