"""NEWS2: the National Early Warning Score 2 (Royal College of Physicians, 2017).

Scoring tables as published in the RCP NEWS2 chart (docs/clinical-rules.md, C2). Pure functions, no I/O.

NEWS2 is validated for acute and hospital settings, not for home monitoring (docs/clinical-rules.md,
C2, Echevarria et al. PMC6817986). Heima uses it as decision support for COPD at home, and
the alert rules built on the score are programme data clinicians can tune.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

Scale = Literal[1, 2]
# RCP clinical-risk words; "low-medium" is an aggregate of 1-4 with one parameter scoring 3.
Risk = Literal["none", "low", "low-medium", "medium", "high"]

# (highest value of the band, inclusive; score). Values are first rounded the way the chart is
# read: whole numbers, temperature to one decimal. The last band has no upper bound.
_RESPIRATORY_RATE = ((8, 3), (11, 1), (20, 0), (24, 2), (None, 3))
_HEART_RATE = ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (None, 3))
_SYSTOLIC = ((90, 3), (100, 2), (110, 1), (219, 0), (None, 3))
_TEMPERATURE = ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (None, 2))
_SPO2_SCALE_1 = ((91, 3), (93, 2), (95, 1), (None, 0))
# Scale 2 (confirmed hypercapnic respiratory failure, target 88-92 %): 93 % and above scores 0 on
# air but rises on oxygen, because over-oxygenation is itself the danger in these patients.
_SPO2_SCALE_2_LOW = ((83, 3), (85, 2), (87, 1), (92, 0))
_SPO2_SCALE_2_ON_OXYGEN = ((94, 1), (96, 2), (None, 3))

ON_OXYGEN_SCORE = 2
NEW_CONFUSION_SCORE = 3


def _round(value: float, places: int) -> Decimal:
    # Half up, as a nurse reads a chart (38.05 -> 38.1); Python's round() would go to even.
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _band(value: float, table: tuple[tuple[float | None, int], ...], places: int = 0) -> int:
    rounded = _round(value, places)
    for upper, score in table:
        if upper is None or rounded <= Decimal(str(upper)):
            return score
    raise ValueError(f"{value} lies above every band")  # only for a table without an open top


def score_respiratory_rate(per_minute: float) -> int:
    return _band(per_minute, _RESPIRATORY_RATE)


def score_heart_rate(per_minute: float) -> int:
    return _band(per_minute, _HEART_RATE)


def score_systolic(mm_hg: float) -> int:
    return _band(mm_hg, _SYSTOLIC)


def score_temperature(celsius: float) -> int:
    return _band(celsius, _TEMPERATURE, places=1)


def score_spo2(percent: float, scale: Scale, on_oxygen: bool) -> int:
    if scale == 1:
        return _band(percent, _SPO2_SCALE_1)
    if scale != 2:
        raise ValueError(f"NEWS2 has SpO2 scales 1 and 2, not {scale!r}")
    if _round(percent, 0) <= 92:
        return _band(percent, _SPO2_SCALE_2_LOW)
    return _band(percent, _SPO2_SCALE_2_ON_OXYGEN) if on_oxygen else 0


def risk(total: int, highest_single: int) -> Risk:
    """RCP aggregate bands: 0; 1-4 low; a single 3 lifts low to low-medium; 5-6 medium; 7+ high."""
    if total >= 7:
        return "high"
    if total >= 5:
        return "medium"
    if highest_single >= 3:
        return "low-medium"
    return "low" if total >= 1 else "none"


@dataclass(frozen=True)
class News2:
    """A score from the parameters that were available; `missing` names those that were not."""

    total: int
    scores: dict[str, int]
    scale: Scale
    missing: tuple[str, ...]
    oxygen_assumed_air: bool = False
    values: dict[str, float | bool] = field(default_factory=dict)

    @property
    def highest_single(self) -> int:
        return max(self.scores.values(), default=0)

    @property
    def risk(self) -> Risk:
        return risk(self.total, self.highest_single)

    @property
    def complete(self) -> bool:
        return not self.missing


PARAMETERS = ("respiratory_rate", "spo2", "air_or_oxygen", "systolic", "heart_rate", "consciousness", "temperature")


def assess(
    *,
    scale: Scale = 1,
    respiratory_rate: float | None = None,
    spo2: float | None = None,
    on_oxygen: bool | None = None,
    systolic: float | None = None,
    heart_rate: float | None = None,
    new_confusion: bool | None = None,
    temperature: float | None = None,
) -> News2:
    """Score what is there. At home a set is often partial (no BP cuff, no thermometer reading);
    a partial total can only be lower than the full one, so an alert on it is never spurious, and
    the explanation says which parameters were missing."""
    scores: dict[str, int] = {}
    values: dict[str, float | bool] = {}
    # Unrecorded oxygen is scored as air (the caller first falls back on the patient's home
    # oxygen parameter), and the explanation says the assumption was made.
    assumed_air = on_oxygen is None and spo2 is not None
    oxygen = bool(on_oxygen)
    if respiratory_rate is not None:
        scores["respiratory_rate"], values["respiratory_rate"] = (
            score_respiratory_rate(respiratory_rate),
            respiratory_rate,
        )
    if spo2 is not None:
        scores["spo2"], values["spo2"] = score_spo2(spo2, scale, oxygen), spo2
    if on_oxygen is not None or spo2 is not None:
        scores["air_or_oxygen"], values["air_or_oxygen"] = (ON_OXYGEN_SCORE if oxygen else 0), oxygen
    if systolic is not None:
        scores["systolic"], values["systolic"] = score_systolic(systolic), systolic
    if heart_rate is not None:
        scores["heart_rate"], values["heart_rate"] = score_heart_rate(heart_rate), heart_rate
    if new_confusion is not None:
        scores["consciousness"] = NEW_CONFUSION_SCORE if new_confusion else 0
        values["consciousness"] = new_confusion
    if temperature is not None:
        scores["temperature"], values["temperature"] = score_temperature(temperature), temperature
    missing = tuple(name for name in PARAMETERS if name not in scores)
    return News2(sum(scores.values()), scores, scale, missing, assumed_air, values)
