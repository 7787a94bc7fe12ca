"""Each programme's default alert rules, as data, with the clinical source beside every number.

The sources, and where Heima departs from them, are in docs/clinical-rules.md ("Where the numbers
come from", C1-C4). Severity words there map warning/urgent/emergency -> low/medium/high. [S]
marks a safety floor (`safety_floor=True`): a clinician may tighten it per patient but not loosen,
lower or switch it off. "Project proposal" marks a number no guideline gives: it is configurable
and its `basis` says so, so the alert explanation does too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from alerting.engine.types import CONTACT_REQUEST, NEWS2_SINGLE, NEWS2_TOTAL, LocalText, Rule, Severity, answer_type


def _rule(
    code: str,
    kind: str,
    severity: Severity,
    params: dict[str, Any],
    *,
    title: str,
    basis: str,
    nb: str,
    en: str,
    floor: bool = False,
    group: str | None = None,
) -> Rule:
    return Rule(
        code=code,
        kind=kind,  # type: ignore[arg-type]
        params=params,
        severity=severity,
        safety_floor=floor,
        group=group,
        title=title,
        basis=basis,
        patient_text=LocalText(nb=nb, en=en),
    )


# "I need help" from a patient or parent: always urgent, whatever the programme (docs/clinical-rules.md, C4). [S]
# fmt: off
CONTACT = _rule(
    "contact_request", "answer", "medium", {"match": [{"type": CONTACT_REQUEST}]},
    title="Patient asks to be contacted", basis="every programme: a request for contact is always urgent", floor=True,
    nb="Vi har mottatt meldingen din.", en="We have received your message.",
)
# fmt: on

_BODY_TEMPERATURE, _WEIGHT = "body_temperature", "body_weight"

# Rules for some patients only ("when", alerting.engine.rules.applies), by enrolment parameter. Null in a
# list: also when the parameter is unset, so patients enrolled before it existed keep their rules.
_TUBE_PHASE = {"feeding_phase": ["tube", None]}
_SELF_REGULATING = {"feeding_phase": ["self_regulating"]}
_PER_KG = {**_TUBE_PHASE, "growth_target": ["g_per_kg_day", None]}
_PER_DAY = {**_TUBE_PHASE, "growth_target": ["g_per_day"]}
_PD = {"modality": ["peritoneal", None]}
_HD = {"modality": ["haemodialysis"]}

# Premature infants at home on tube feeding, DigiHOPP-type (docs/clinical-rules.md, C1).
# fmt: off
PREMATURE_HOME: tuple[Rule, ...] = (
    # NICE NG143: under 3 months, >= 38.0 °C (axillary, electronic) is a red feature -> emergency. [S]
    # Age is corrected for prematurity when gestational age is known (see rules._age_reference).
    _rule(
        "infant_fever", "threshold", "high",
        {"type": _BODY_TEMPERATURE, "op": ">=", "limit": 38.0, "max_age_months": 3},
        title="Fever {limit} °C or more, infant under {max_age_months} months",
        basis="NICE NG143: < 3 months ≥ 38 °C = red", floor=True,
        group="infant_fever",
        nb="Barnet har feber ({value}). Så små barn med feber må undersøkes av lege med en gang.",
        en="Your baby has a fever ({value}). Babies this young with a fever must see a doctor straight away.",
    ),
    # From 3 months NICE NG143 makes >= 39 °C amber; a tube-fed former preterm with >= 38.0 still
    # warrants same-day review. Project proposal, so that no fever goes unflagged after 3 months.
    _rule(
        "infant_fever_3_months_plus", "threshold", "medium",
        {"type": _BODY_TEMPERATURE, "op": ">=", "limit": 38.0, "min_age_months": 3},
        title="Fever {limit} °C or more, infant {min_age_months} months or older",
        basis="project proposal; NICE NG143 3-6 months ≥ 39 °C = amber",
        group="infant_fever",
        nb="Barnet har feber ({value}).", en="Your baby has a fever ({value}).",
    ),
    # WHO normal 36.5-37.5 °C (BMJ Paediatrics Open 2024); mild hypothermia 36.0-36.5, moderate
    # < 36.0 (PMC4546825).
    _rule(
        "infant_temperature_low", "threshold", "low", {"type": _BODY_TEMPERATURE, "op": "<", "limit": 36.5},
        title="Temperature below {limit} °C", basis="WHO normal range 36.5-37.5 °C", group="infant_hypothermia",
        nb="Temperaturen er lav ({value}).", en="Your baby's temperature is low ({value}).",
    ),
    _rule(
        "infant_temperature_very_low", "threshold", "medium", {"type": _BODY_TEMPERATURE, "op": "<", "limit": 36.0},
        title="Temperature below {limit} °C", basis="moderate hypothermia < 36.0 °C, PMC4546825",
        group="infant_hypothermia",
        nb="Temperaturen er for lav ({value}).", en="Your baby's temperature is too low ({value}).",
    ),
    # Target 15-20 g/kg/day (ESPGHAN 17-20; >= 15 "adequate", Kosmeri et al. 2023) over >= 3 days,
    # computed by the exponential method (Patel et al., Pediatrics 2005;116:1466; trends.py).
    # The < 10 (warning) and <= 0 (urgent) cut-offs are a project proposal. Only while tube-fed
    # (after that a plateau is expected, DigiHOPP) and unless the unit follows g/day instead.
    _rule(
        "infant_growth_slow", "trend", "low",
        {"measure": "growth_velocity", "days": 3, "max_days": 7, "op": "<", "limit": 10, "when": _PER_KG},
        title="Growth below {limit} g/kg/day", basis="project proposal; ESPGHAN target 15-20 g/kg/day",
        group="infant_growth",
        nb="Vekten har økt mindre enn forventet de siste dagene.",
        en="Your baby's weight has gone up less than expected over the last few days.",
    ),
    _rule(
        "infant_growth_none", "trend", "medium",
        {"measure": "growth_velocity", "days": 3, "max_days": 7, "op": "<=", "limit": 0, "when": _PER_KG},
        title="No growth over {days|day}",
        basis="project proposal; ESPGHAN target 15-20 g/kg/day", group="infant_growth",
        nb="Vekten har ikke økt de siste dagene.", en="Your baby's weight has not gone up over the last few days.",
    ),
    # Absolute gain, the alternative for larger infants on home NG programmes (growth_target
    # g_per_day): adequate 20-30 g/day, < 20 g/day over 3 days -> warning (Connecticut Children's
    # home NG pathway). No gain at all -> urgent, as for g/kg/day (project proposal).
    _rule(
        "infant_gain_low", "trend", "low",
        {"measure": "weight_gain_per_day", "days": 3, "max_days": 7, "op": "<", "limit": 20, "when": _PER_DAY},
        title="Weight gain below {limit} g/day", basis="Connecticut Children's home NG pathway: 20-30 g/day",
        group="infant_growth",
        nb="Vekten har økt mindre enn forventet de siste dagene.",
        en="Your baby's weight has gone up less than expected over the last few days.",
    ),
    _rule(
        "infant_gain_none", "trend", "medium",
        {"measure": "weight_gain_per_day", "days": 3, "max_days": 7, "op": "<=", "limit": 0, "when": _PER_DAY},
        title="No weight gain over {days|day}", basis="project proposal; home NG pathway 20-30 g/day",
        group="infant_growth",
        nb="Vekten har ikke økt de siste dagene.", en="Your baby's weight has not gone up over the last few days.",
    ),
    # Day-to-day loss > 2 % or 2 losses in a row -> warning; > 3 % or 3 in a row -> urgent.
    # Project proposal: the DigiHOPP scale resolves ~10 g, so smaller changes are noise. Once tube
    # feeds stop a plateau or slight loss is expected (DigiHOPP: "vekten kan stå stille eller gå
    # litt ned"): then only a loss over 3 % alerts, in a day or from the week's highest.
    _rule(
        "infant_weight_loss", "trend", "low",
        {"measure": "weight_loss_pct", "max_gap_days": 1, "op": ">", "limit": 2, "when": _TUBE_PHASE},
        title="Weight loss over {limit} % in a day",
        basis="project proposal; scale noise ~10 g", group="infant_weight_loss",
        nb="Vekten har gått ned siden i går.", en="Your baby's weight has gone down since yesterday.",
    ),
    _rule(
        "infant_weight_loss_large", "trend", "medium",
        {"measure": "weight_loss_pct", "max_gap_days": 1, "op": ">", "limit": 3},
        title="Weight loss over {limit} % in a day",
        basis="project proposal; scale noise ~10 g", group="infant_weight_loss",
        nb="Vekten har gått mye ned siden i går.", en="Your baby's weight has gone down a lot since yesterday.",
    ),
    _rule(
        "infant_weight_loss_2_days", "trend", "low",
        {"measure": "consecutive_losses", "op": ">=", "limit": 2, "when": _TUBE_PHASE},
        title="Weight down {limit} days in a row", basis="project proposal", group="infant_weight_loss",
        nb="Vekten har gått ned to dager på rad.", en="Your baby's weight has gone down two days in a row.",
    ),
    _rule(
        "infant_weight_loss_3_days", "trend", "medium",
        {"measure": "consecutive_losses", "op": ">=", "limit": 3, "when": _TUBE_PHASE},
        title="Weight down {limit} days in a row", basis="project proposal", group="infant_weight_loss",
        nb="Vekten har gått ned flere dager på rad.", en="Your baby's weight has gone down several days in a row.",
    ),
    _rule(
        "infant_weight_loss_plateau", "trend", "medium",
        {"measure": "loss_from_peak_pct", "days": 7, "op": ">", "limit": 3, "when": _SELF_REGULATING},
        title="Weight over {limit} % below the week's highest",
        basis="DigiHOPP: plateau expected after tube feeds; 3 % = project proposal", group="infant_weight_loss",
        nb="Vekten har gått ned mer enn ventet etter at sondematen ble avsluttet.",
        en="Your baby's weight has gone down more than expected since tube feeding stopped.",
    ),
    # Per local day vs the nutrition plan (prescribed_ml_per_kg_day, typically 150-180; Forfar &
    # Arneil, ESPGHAN 140-170): < 85 % warning, < 70 % urgent.
    _rule(
        "infant_intake_low", "trend", "low",
        {"measure": "intake_pct_of_plan", "op": "<", "limit": 85, "when": _TUBE_PHASE},
        title="Intake below {limit} % of plan", basis="nutrition plan; Forfar & Arneil, ESPGHAN", group="infant_intake",
        nb="Barnet fikk mindre mat enn planlagt et døgn ({value} av planen).",
        en="Your baby had less milk than planned over one day ({value} of the plan).",
    ),
    _rule(
        "infant_intake_very_low", "trend", "medium",
        {"measure": "intake_pct_of_plan", "op": "<", "limit": 70, "when": _TUBE_PHASE},
        title="Intake below {limit} % of plan", basis="nutrition plan; Forfar & Arneil, ESPGHAN", group="infant_intake",
        nb="Barnet fikk mye mindre mat enn planlagt et døgn ({value} av planen).",
        en="Your baby had much less milk than planned over one day ({value} of the plan).",
    ),
    # At least 8 feeds per 24 h (DigiHOPP parent page): < 8 warning, < 6 urgent. Counted over a
    # whole local day and judged once it is over (a 23- or 25-hour day is held to 24 hours).
    _rule(
        "infant_feeds_few", "trend", "low", {"measure": "feeds_per_day", "op": "<", "limit": 8},
        title="Fewer than {limit} feeds in a day", basis="DigiHOPP parent page: at least 8 feeds a day",
        group="infant_feeds",
        nb="Barnet fikk færre måltider enn anbefalt et døgn ({value}).",
        en="Your baby had fewer feeds than recommended over one day ({value}).",
    ),
    _rule(
        "infant_feeds_very_few", "trend", "medium", {"measure": "feeds_per_day", "op": "<", "limit": 6},
        title="Fewer than {limit} feeds in a day", basis="DigiHOPP parent page: at least 8 feeds a day",
        group="infant_feeds",
        nb="Barnet fikk mye færre måltider enn anbefalt et døgn ({value}).",
        en="Your baby had far fewer feeds than recommended over one day ({value}).",
    ),
    # Wet nappies 4-7 per 24 h (DigiHOPP parent page): < 4 in a whole local day -> warning.
    _rule(
        "infant_wet_nappies_few", "trend", "low", {"measure": "wet_nappies_per_day", "op": "<", "limit": 4},
        title="Fewer than {limit} wet nappies in a day", basis="DigiHOPP parent page: 4-7 wet nappies a day",
        nb="Barnet hadde færre våte bleier enn vanlig et døgn ({value}).",
        en="Your baby had fewer wet nappies than usual over one day ({value}).",
    ),
    # No wet nappy for 8 hours under 3 months is amber (NICE-based parent leaflet) -> urgent. Only
    # for families who register each nappy (nappy_logging "each"): a once-a-day count cannot show
    # 8 dry hours, and would raise this every afternoon.
    _rule(
        "infant_no_wet_nappy", "missing", "medium",
        {"of": ["wet_nappies"], "hours": 8, "nonzero": True, "when": {"nappy_logging": ["each"]}},
        title="No wet nappy for {hours|hour}", basis="NICE-based leaflet: no wet nappy for 8 h under 3 months = amber",
        nb="Vi har ikke fått registrert noen våt bleie på 8 timer. Ring avdelingen hvis barnet ikke tisser.",
        en="No wet nappy has been registered for 8 hours. Call the unit if your baby is not passing urine.",
    ),
    # More than 2 large vomits in 24 hours -> urgent (the sources say warning, a number no guideline
    # gives; the clinical review in issue 14 asks for urgent: docs/clinical-rules.md, C1). The
    # colour has its own rule below.
    _rule(
        "infant_large_vomits", "trend", "medium", {"measure": "large_vomits", "hours": 24, "op": ">", "limit": 2},
        title="More than {limit} large vomits in {hours} hours", basis="project proposal; urgent after clinical review",
        nb="Barnet har kastet opp mye flere ganger siste døgn ({value}).",
        en="Your baby has had several large vomits in the last 24 hours ({value}).",
    ),
    # Bilious (green) vomit in a neonate is a surgical emergency until proven otherwise (Medscape;
    # BMJ 2012;345:e4441). [S] From the vomiting measurement's colour or the daily check form.
    _rule(
        "bilious_vomit", "answer", "high",
        {"match": [
            {"type": "vomiting", "attribute": "colour", "any_of": ["green"]},
            {"type": answer_type("premature-daily", "vomit_colour"), "any_of": ["green"]},
        ]},
        title="Green (bilious) vomit", basis="surgical emergency until proven otherwise, BMJ 2012;345:e4441",
        floor=True,
        nb="Grønt oppkast kan være tegn på at tarmen er tett, og barnet må undersøkes med en gang.",
        en="Green vomit can be a sign of a blocked bowel; your baby must be seen straight away.",
    ),
    # Parental worry is a valid sign in its own right (NICE NG143) -> urgent review. [S]
    _rule(
        "parent_worried", "answer", "medium",
        {"match": [{"type": answer_type("premature-worried", "worried"), "any_of": [True]}]},
        title="Parent is worried", basis="NICE NG143: parental concern is valid", floor=True,
        nb="Takk for at du sa fra.", en="Thank you for telling us.",
    ),
    # Tube dislodged or position uncertain -> urgent, call the unit (DigiHOPP parent page).
    _rule(
        "tube_problem", "answer", "medium",
        {"match": [{"type": answer_type("premature-daily", "tube_problem"), "any_of": [True]}]},
        title="Feeding tube problem", basis="DigiHOPP parent page",
        nb="Dere har meldt om problem med sonden. Ring avdelingen hvis dere er usikre på om den ligger riktig.",
        en="You have reported a problem with the feeding tube. Call the unit if you are unsure it is in place.",
    ),
    # Daily weighing: 1 day missing -> warning, 2 days -> urgent (DigiHOPP parent page).
    _rule(
        "weight_missing", "missing", "low", {"of": [_WEIGHT], "days": 1},
        title="No weight for {days|day}", basis="DigiHOPP: daily weighing", group="weight_missing",
        nb="Vi fikk ikke inn noen vekt i går. Husk å veie barnet hver dag.",
        en="We did not receive a weight yesterday. Remember to weigh your baby every day.",
    ),
    _rule(
        "weight_missing_2_days", "missing", "medium", {"of": [_WEIGHT], "days": 2},
        title="No weight for {days|day}", basis="DigiHOPP: daily weighing", group="weight_missing",
        nb="Vi har ikke fått inn vekt på to dager.", en="We have not received a weight for two days.",
    ),
    CONTACT,
)
# fmt: on

# COPD (docs/clinical-rules.md, C2). NEWS2 (RCP 2017) with the patient's SpO2 scale (enrolment parameter
# spo2_scale; 2 only for confirmed hypercapnic failure). Bands: 1-4 low; a single parameter
# scoring 3 -> urgent review; 5-6 urgent; >= 7 emergency. Decision support only: NEWS2 is not
# validated at home (Echevarria et al., PMC6817986).
_NEWS2 = {"window_minutes": 60, "confusion_answer": answer_type("copd-symptom-diary", "new_confusion")}
_ANTHONISEN = [
    {"type": answer_type("copd-symptom-diary", item), "any_of": [True]}
    for item in ("more_breathless", "sputum_volume_increased", "sputum_colour_changed")
]
_UNWELL_NB = "Målingene dine tyder på at du kan være sykere enn vanlig."
_UNWELL_EN = "Your measurements suggest you may be more unwell than usual."
# fmt: off
COPD: tuple[Rule, ...] = (
    _rule(
        "news2_high", "threshold", "high", {"type": NEWS2_TOTAL, "op": ">=", "limit": 7, **_NEWS2},
        title="NEWS2 {limit} or more", basis="RCP NEWS2: ≥ 7 = high risk", group="news2", nb=_UNWELL_NB, en=_UNWELL_EN,
    ),
    _rule(
        "news2_medium", "threshold", "medium", {"type": NEWS2_TOTAL, "op": ">=", "limit": 5, **_NEWS2},
        title="NEWS2 {limit} or more",
        basis="RCP NEWS2: 5-6 = medium risk", group="news2", nb=_UNWELL_NB, en=_UNWELL_EN,
    ),
    _rule(
        "news2_single_parameter", "threshold", "medium", {"type": NEWS2_SINGLE, "op": ">=", "limit": 3, **_NEWS2},
        title="NEWS2 single parameter scores {limit}", basis="RCP NEWS2: single 3 = urgent review", group="news2",
        nb=_UNWELL_NB, en=_UNWELL_EN,
    ),
    _rule(
        "news2_low", "threshold", "low", {"type": NEWS2_TOTAL, "op": ">=", "limit": 1, **_NEWS2},
        title="NEWS2 {limit} or more", basis="RCP NEWS2: 1-4 = low risk", group="news2",
        nb="Noen av målingene dine er litt utenfor det vanlige.",
        en="Some of your measurements are a little outside the usual range.",
    ),
    # SpO2 below the patient's own lower target (spo2_target_low, set by the clinician) -> warning.
    # Project proposal: the target is the clinician's; NEWS2 scores the reading as well.
    _rule(
        "copd_spo2_below_target", "trend", "low", {"measure": "spo2_below_target", "op": ">", "limit": 0},
        title="SpO2 below personal target", basis="project proposal; the patient's own SpO2 target",
        nb="Oksygenmetningen din er under målet legen din har satt.",
        en="Your oxygen saturation is below the target your doctor has set.",
    ),
    # A drop of >= 3-4 points below the patient's own baseline (median of the last 14 days) ->
    # warning. Project proposal, mirroring Dignio baseline and OpenTele relative thresholds; at
    # least 5 baseline readings, on air or on oxygen like the reading.
    _rule(
        "copd_spo2_drop", "trend", "low",
        {"measure": "spo2_drop_from_baseline", "baseline_days": 14, "min_readings": 5, "op": ">=", "limit": 3},
        title="SpO2 {limit} points or more below own baseline",
        basis="project proposal; Dignio/OpenTele relative thresholds",
        nb="Oksygenmetningen din er lavere enn den pleier å være.",
        en="Your oxygen saturation is lower than it usually is.",
    ),
    # Anthonisen criteria in the symptom diary (more breathless, more sputum, sputum colour): 2 of
    # 3 -> urgent review, 3 of 3 -> urgent with a more pressing text (issue 14 review; the sources
    # have 2 of 3 as a warning and call it a project proposal: docs/clinical-rules.md, C2).
    _rule(
        "copd_exacerbation_3_of_3", "answer", "medium", {"match": _ANTHONISEN, "at_least": 3},
        title="Flare-up signs: all 3", basis="Anthonisen criteria, 3 of 3; project proposal",
        group="copd_exacerbation",
        nb="Du har meldt om alle tre tegnene på en KOLS-forverring. Følg egenbehandlingsplanen din og ring "
        "avdelingen i dag.",
        en="You have reported all three signs of a COPD flare-up. Follow your self-management plan and call "
        "the unit today.",
    ),
    _rule(
        "copd_exacerbation", "answer", "medium", {"match": _ANTHONISEN, "at_least": 2},
        title="Flare-up signs: {at_least} of 3", basis="Anthonisen criteria, 2 of 3; project proposal",
        group="copd_exacerbation",
        nb="Du har meldt om tegn på en KOLS-forverring.", en="You have reported signs of a COPD flare-up.",
    ),
    # The weekly wellbeing score (our own, not CAT: not validated, so CAT's MCID of 2 is not read
    # into it) up by 4 or more from the previous week -> warning. Project proposal.
    _rule(
        "copd_wellbeing_worse", "trend", "low",
        {"measure": "score_rise", "form": "copd-weekly-wellbeing", "max_days": 21, "op": ">=", "limit": 4},
        title="Weekly wellbeing score up {limit} or more",
        basis="project proposal; own unvalidated score (not CAT)",
        nb="Svarene dine denne uken tyder på at du har det verre enn forrige uke.",
        en="Your answers this week suggest you are worse than last week.",
    ),
    # Twice-weekly registration: none in 4 days -> warning (Dignio/Luscii inactivity alerts).
    _rule(
        "copd_registration_missing", "missing", "low",
        {"of": ["spo2", "heart_rate", "respiratory_rate", _BODY_TEMPERATURE, "blood_pressure",
                "copd-symptom-diary", "copd-weekly-wellbeing"], "days": 4},
        title="No registration for {days|day}", basis="Dignio/Luscii inactivity alerts",
        nb="Vi har ikke fått inn målinger fra deg på noen dager.",
        en="We have not received any measurements from you for a few days.",
    ),
    CONTACT,
)
# fmt: on

# Home dialysis (docs/clinical-rules.md, C3).
_CLOUDY = {"type": "effluent_appearance", "any_of": ["cloudy"]}
_PAIN = {"type": answer_type("pd-session", "abdominal_pain"), "any_of": [True]}
_FLUID_SYMPTOMS = [
    {"type": answer_type(form, item), "any_of": [True]}
    for form in ("pd-session", "hd-session")
    for item in ("breathless", "oedema")
]
_DIZZY = [{"type": answer_type(form, "dizzy"), "any_of": [True]} for form in ("pd-session", "hd-session")]
# fmt: off
HOME_DIALYSIS: tuple[Rule, ...] = (
    # ISPD: cloudy effluent is one of the two clinical criteria for peritonitis -> contact the unit
    # the same day and bring the bag. [S]
    _rule(
        "pd_cloudy_effluent", "answer", "medium", {"match": [_CLOUDY]},
        title="Cloudy PD effluent", basis="ISPD peritonitis criteria", floor=True, group="pd_peritonitis",
        nb="Uklar dialysevæske kan være tegn på bukhinnebetennelse. Ring avdelingen i dag og ta med posen.",
        en="Cloudy fluid can be a sign of peritonitis (infection). Call the unit today and bring the bag.",
    ),
    # ISPD: cloudy effluent with pain (or fever >= 38.0) meets 2 criteria -> emergency. [S]
    _rule(
        "pd_peritonitis_signs", "answer", "high",
        {"match": [_CLOUDY], "with_any": [_PAIN, {"type": _BODY_TEMPERATURE, "op": ">=", "limit": 38.0}],
         "within_hours": 24},
        title="Cloudy PD effluent with pain or fever", basis="ISPD peritonitis criteria", floor=True,
        group="pd_peritonitis",
        nb="Uklar dialysevæske sammen med magesmerter eller feber kan være bukhinnebetennelse. Ta med posen.",
        en="Cloudy fluid together with tummy pain or fever can be peritonitis. Bring the bag.",
    ),
    # Pain or fever alone -> urgent (ISPD; docs/clinical-rules.md, C3). [S]
    _rule(
        "pd_abdominal_pain", "answer", "medium", {"match": [_PAIN]},
        title="Abdominal pain (PD)", basis="ISPD peritonitis criteria", floor=True,
        nb="Du har meldt om vondt i magen.", en="You have reported tummy pain.",
    ),
    _rule(
        "dialysis_fever", "threshold", "medium", {"type": _BODY_TEMPERATURE, "op": ">=", "limit": 38.0},
        title="Fever {limit} °C or more", basis="ISPD peritonitis criteria: fever alone = urgent", floor=True,
        nb="Du har feber ({value}).", en="You have a fever ({value}).",
    ),
    # > 2 kg above target ("dry") weight or > 1.5 kg gain in 2 days -> warning. Cut-offs are a project
    # proposal (dry weight is set by trial and error; fluid overload in 57 % at PD start).
    _rule(
        "dialysis_weight_above_dry", "trend", "low",
        {"measure": "above_dry_weight", "op": ">", "limit": 2.0, "when": _PD},
        title="Weight over {limit} kg above dry weight", basis="project proposal; fluid overload in PD",
        group="dialysis_fluid",
        nb="Vekten din er over målvekten.", en="Your weight is above your target weight.",
    ),
    _rule(
        "dialysis_weight_gain_2_days", "trend", "low",
        {"measure": "weight_gain", "days": 2, "op": ">", "limit": 1.5, "when": _PD},
        title="Weight up over {limit} kg in {days|day}",
        basis="project proposal; fluid overload in PD", group="dialysis_fluid",
        nb="Vekten din har gått raskt opp.", en="Your weight has gone up quickly.",
    ),
    # With breathlessness or oedema (the session forms) within 24 h -> urgent (docs/clinical-rules.md, C3).
    _rule(
        "dialysis_weight_above_dry_symptoms", "trend", "medium",
        {"measure": "above_dry_weight", "op": ">", "limit": 2.0, "with_any": _FLUID_SYMPTOMS, "within_hours": 24,
         "when": _PD},
        title="Weight over {limit} kg above dry weight with breathlessness or oedema",
        basis="fluid overload in PD with symptoms = urgent; cut-offs project proposal", group="dialysis_fluid",
        nb="Vekten din er over målvekten, og du har meldt om tung pust eller hevelse. Avdelingen tar kontakt.",
        en="Your weight is above your target and you have reported breathlessness or swelling.",
    ),
    _rule(
        "dialysis_weight_gain_symptoms", "trend", "medium",
        {"measure": "weight_gain", "days": 2, "op": ">", "limit": 1.5, "with_any": _FLUID_SYMPTOMS,
         "within_hours": 24, "when": _PD},
        title="Weight up over {limit} kg in {days|day} with breathlessness or oedema",
        basis="fluid overload in PD with symptoms = urgent; cut-offs project proposal", group="dialysis_fluid",
        nb="Vekten din har gått raskt opp, og du har meldt om tung pust eller hevelse.",
        en="Your weight has gone up quickly and you have reported breathlessness or swelling.",
    ),
    # Home haemodialysis: interdialytic weight gain > 4 % of dry weight -> warning, > 5.7 % ->
    # urgent review (López-Gómez, Kidney Int 2005; Semin Dial 2006), and > 4 % with breathlessness
    # or oedema -> urgent (docs/clinical-rules.md, C3).
    _rule(
        "hd_idwg_very_high", "trend", "medium",
        {"measure": "idwg_pct", "max_gap_days": 4, "op": ">", "limit": 5.7, "when": _HD},
        title="Weight gain between sessions over {limit} % of dry weight",
        basis="Semin Dial 2006: tighter control above 5.7 %", group="hd_idwg",
        nb="Du har lagt på deg mye væske siden forrige behandling.",
        en="You have gained a lot of fluid since your last session.",
    ),
    _rule(
        "hd_idwg_symptoms", "trend", "medium",
        {"measure": "idwg_pct", "max_gap_days": 4, "op": ">", "limit": 4.0, "with_any": _FLUID_SYMPTOMS,
         "within_hours": 24, "when": _HD},
        title="Weight gain between sessions over {limit} % with breathlessness or oedema",
        basis="López-Gómez, Kidney Int 2005; with symptoms = urgent", group="hd_idwg",
        nb="Du har lagt på deg væske siden forrige behandling og har meldt om tung pust eller hevelse.",
        en="You have gained fluid since your last session and reported breathlessness or swelling.",
    ),
    _rule(
        "hd_idwg_high", "trend", "low",
        {"measure": "idwg_pct", "max_gap_days": 4, "op": ">", "limit": 4.0, "when": _HD},
        title="Weight gain between sessions over {limit} % of dry weight",
        basis="López-Gómez, Kidney Int 2005: > 3.9 % cohort", group="hd_idwg",
        nb="Du har lagt på deg mer væske enn anbefalt siden forrige behandling.",
        en="You have gained more fluid than recommended since your last session.",
    ),
    # Post-dialysis weight above target on 2 sessions -> warning: > 0.3 kg at the end of dialysis
    # is associated with mortality (Am J Nephrol 2013;37:370); 0.5 kg (the upper end of the sources'
    # 0.3-0.5, docs/clinical-rules.md, C3) is the default against scale noise, a project proposal.
    _rule(
        "hd_post_weight_above_dry", "trend", "low",
        {"measure": "post_weight_above_dry", "sessions": 2, "max_days": 14, "op": ">", "limit": 0.5, "when": _HD},
        title="Weight after dialysis over {limit} kg above dry weight on {sessions} sessions",
        basis="Am J Nephrol 2013: end-dialysis overweight > 0.3 kg",
        nb="Vekten din etter behandlingen har vært over målvekten de siste gangene.",
        en="Your weight after your last sessions has been above your target weight.",
    ),
    # SBP <= 100 with dizziness (session forms) within 12 h -> urgent (docs/clinical-rules.md, C3;
    # 12 h is a project proposal: one session and the hours after it).
    _rule(
        "dialysis_low_bp_dizzy", "answer", "medium",
        {"match": [{"type": "blood_pressure", "component": "systolic", "op": "<=", "limit": 100}],
         "with_any": _DIZZY, "within_hours": 12},
        title="Systolic BP 100 or less with dizziness",
        basis="SBP ≤ 100 with symptoms = urgent; proposal aligned with NEWS2",
        nb="Blodtrykket ditt er lavt, og du har vært svimmel.",
        en="Your blood pressure is low and you have felt dizzy.",
    ),
    # SBP >= 180 or <= 90, DBP >= 110 -> urgent. Proposal aligned with NEWS2 (SBP <= 90 scores 3);
    # home BP in PD reads ~14 mmHg high (PMC3797673), so units may set per-patient limits.
    _rule(
        "dialysis_systolic_high", "threshold", "medium",
        {"type": "blood_pressure", "component": "systolic", "op": ">=", "limit": 180},
        title="Systolic BP {limit} or more", basis="project proposal",
        nb="Blodtrykket ditt er høyt.", en="Your blood pressure is high.",
    ),
    _rule(
        "dialysis_systolic_low", "threshold", "medium",
        {"type": "blood_pressure", "component": "systolic", "op": "<=", "limit": 90},
        title="Systolic BP {limit} or less", basis="project proposal; NEWS2 SBP ≤ 90 scores 3",
        nb="Blodtrykket ditt er lavt.", en="Your blood pressure is low.",
    ),
    _rule(
        "dialysis_diastolic_high", "threshold", "medium",
        {"type": "blood_pressure", "component": "diastolic", "op": ">=", "limit": 110},
        title="Diastolic BP {limit} or more", basis="project proposal",
        nb="Blodtrykket ditt er høyt.", en="Your blood pressure is high.",
    ),
    # Negative net UF 2 days running -> warning ("tell the nurse if you are not getting fluid
    # back"; the 2-day cut-off is a proposal).
    _rule(
        "dialysis_uf_negative", "trend", "low", {"measure": "negative_uf_days", "op": ">=", "limit": 2, "when": _PD},
        title="Negative net UF {limit} days in a row", basis="patient education; 2 days = project proposal",
        nb="Du har fått mindre væske ut enn du fylte inn, flere dager på rad.",
        en="You have drained less fluid than you put in, several days in a row.",
    ),
    # A day's net UF more than 50 % below its 7-day median -> warning (patient education: tell the
    # nurse when fluid does not come back; the cut-off is a project proposal). Judged once the
    # day is over, with at least 3 of the 7 days before it registered.
    _rule(
        "pd_uf_drop", "trend", "low", {"measure": "uf_drop_pct", "min_days": 3, "op": ">", "limit": 50, "when": _PD},
        title="Net UF over {limit} % below its 7-day median", basis="patient education; 50 % = project proposal",
        nb="Du fikk mye mindre væske ut i går enn du pleier.",
        en="You drained much less fluid yesterday than you usually do.",
    ),
    # Expected session not logged by the end of its day -> warning (Dignio missed task). Only the
    # days of the patient's prescribed schedule count (parameter session_days, e.g. mon/wed/fri for
    # thrice-weekly home haemodialysis); without a schedule every day is a session day (daily PD).
    _rule(
        "dialysis_session_missing", "missing", "low",
        {"of": ["pd-session", "hd-session", "ultrafiltration_volume"], "days": 1, "scheduled_by": "session_days"},
        title="No dialysis session registered on {days|scheduled day}", basis="Dignio missed-task alert",
        nb="Vi har ikke fått inn registrering av dialysebehandlingen din.",
        en="We have not received a record of your dialysis session.",
    ),
    CONTACT,
)
# fmt: on

DEFAULT_RULES: dict[str, tuple[Rule, ...]] = {
    "premature-home": PREMATURE_HOME,
    "copd": COPD,
    "home-dialysis": HOME_DIALYSIS,
}


def default_rules(programmes: Iterable[str]) -> list[Rule]:
    """The default rules of a patient's programmes, each code once (a patient in two programmes
    gets one contact-request rule): rule codes are what overrides and open alerts key on."""
    rules: dict[str, Rule] = {}
    for programme in programmes:
        for rule in DEFAULT_RULES[programme]:
            rules.setdefault(rule.code, rule)
    return list(rules.values())
