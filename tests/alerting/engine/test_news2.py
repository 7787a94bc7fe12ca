"""NEWS2 scoring against the RCP chart (docs/clinical-rules.md, C2), band edge by band edge."""

from __future__ import annotations

import pytest

from alerting.engine import news2


def _edges(table: list[tuple[float, int]]):
    return [pytest.param(value, score, id=f"{value:g}->{score}") for value, score in table]


@pytest.mark.parametrize(
    ("rate", "score"),
    _edges([(5, 3), (8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3), (40, 3)]),
)
def test_respiratory_rate(rate, score):
    assert news2.score_respiratory_rate(rate) == score


@pytest.mark.parametrize(
    ("rate", "score"),
    _edges([(35, 3), (40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2), (131, 3)]),
)
def test_heart_rate(rate, score):
    assert news2.score_heart_rate(rate) == score


@pytest.mark.parametrize(
    ("pressure", "score"),
    _edges([(80, 3), (90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)]),
)
def test_systolic(pressure, score):
    assert news2.score_systolic(pressure) == score


@pytest.mark.parametrize(
    ("celsius", "score"),
    _edges(
        [
            *[(34.0, 3), (35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2)],
            # Read to one decimal, half up, as on the chart: 38.05 is 38.1, 38.04 is 38.0.
            *[(38.05, 1), (38.04, 0), (35.05, 1), (35.04, 3), (41.0, 2)],
        ]
    ),
)
def test_temperature(celsius, score):
    assert news2.score_temperature(celsius) == score


@pytest.mark.parametrize(
    ("spo2", "on_oxygen", "score"),
    [
        pytest.param(spo2, oxygen, score, id=f"{spo2}% {'O2' if oxygen else 'air'} -> {score}")
        for spo2, score in [(85, 3), (91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
        for oxygen in (False, True)  # Scale 1 ignores oxygen for the SpO2 score
    ],
)
def test_spo2_scale_1(spo2, on_oxygen, score):
    assert news2.score_spo2(spo2, 1, on_oxygen) == score


@pytest.mark.parametrize(
    ("spo2", "on_oxygen", "score"),
    [
        pytest.param(80, False, 3, id="80 air -> 3"),
        pytest.param(83, True, 3, id="83 O2 -> 3"),
        pytest.param(84, False, 2, id="84 air -> 2"),
        pytest.param(85, False, 2, id="85 air -> 2"),
        pytest.param(86, False, 1, id="86 air -> 1"),
        pytest.param(87, True, 1, id="87 O2 -> 1"),
        pytest.param(88, False, 0, id="88 air -> 0 (target)"),
        pytest.param(92, True, 0, id="92 O2 -> 0 (target)"),
        pytest.param(93, False, 0, id="93 air -> 0"),
        pytest.param(99, False, 0, id="99 air -> 0"),
        pytest.param(93, True, 1, id="93 O2 -> 1"),
        pytest.param(94, True, 1, id="94 O2 -> 1"),
        pytest.param(95, True, 2, id="95 O2 -> 2"),
        pytest.param(96, True, 2, id="96 O2 -> 2"),
        pytest.param(97, True, 3, id="97 O2 -> 3"),
        pytest.param(100, True, 3, id="100 O2 -> 3"),
    ],
)
def test_spo2_scale_2(spo2, on_oxygen, score):
    assert news2.score_spo2(spo2, 2, on_oxygen) == score


def test_there_is_no_scale_3():
    with pytest.raises(ValueError, match="scales 1 and 2"):
        news2.score_spo2(95, 3, False)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("total", "highest", "risk"),
    [
        pytest.param(0, 0, "none", id="0"),
        pytest.param(1, 1, "low", id="1"),
        pytest.param(4, 2, "low", id="4 without a 3"),
        pytest.param(3, 3, "low-medium", id="single 3"),
        pytest.param(4, 3, "low-medium", id="4 with a 3"),
        pytest.param(5, 2, "medium", id="5"),
        pytest.param(6, 3, "medium", id="6 with a 3"),
        pytest.param(7, 2, "high", id="7"),
        pytest.param(12, 3, "high", id="12"),
    ],
)
def test_aggregate_bands(total, highest, risk):
    assert news2.risk(total, highest) == risk


def test_full_set_on_oxygen_scale_2():
    result = news2.assess(
        scale=2, respiratory_rate=22, spo2=95, on_oxygen=True, systolic=105, heart_rate=95, new_confusion=False,
        temperature=38.3,
    )  # fmt: skip
    assert result.scores == {
        "respiratory_rate": 2,
        "spo2": 2,
        "air_or_oxygen": 2,
        "systolic": 1,
        "heart_rate": 1,
        "consciousness": 0,
        "temperature": 1,
    }
    assert (result.total, result.risk, result.complete) == (9, "high", True)


def test_partial_set_names_what_is_missing_and_assumes_air():
    result = news2.assess(spo2=96, heart_rate=80)
    assert result.total == 0
    assert result.oxygen_assumed_air
    assert result.missing == ("respiratory_rate", "systolic", "consciousness", "temperature")


def test_new_confusion_alone_is_a_single_3():
    result = news2.assess(new_confusion=True)
    assert (result.total, result.highest_single, result.risk) == (3, 3, "low-medium")
