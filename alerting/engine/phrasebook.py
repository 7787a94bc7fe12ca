"""The words of clinicians' explanations, in English and bokmål: data only, worded by texts.py.

A finder does not write sentences: it names what it saw as a `Phrase` (a key of PHRASES and the
values to fill in) or a `Term` (a key of TERMS), so that one finding reads in either language,
with each language's numbers, dates and plurals (`texts.say`). A template fills "{name}" with a
value, "{name:.1f}" with a number so formatted (a decimal comma in bokmål), "{name|day|days}" with
a counted number and its word ("{name|day}": the English plural adds an "s"), and
"{name:lower}"/"{name:capital}" with a word so cased (an abbreviation such as "BP" keeps its
capitals). Each entry is (English, bokmål).
"""

from __future__ import annotations

# -- sentences -----------------------------------------------------------------------------------

PHRASES: dict[str, tuple[str, str]] = {
    # The explanation's first line: what was seen, against the limit in force.
    "seen": ("{label} {value}", "{label} {value}"),
    "line": ("{seen} {limit}.", "{seen} {limit}."),
    "line_answer": ("{seen} (alerts on: {limit}).", "{seen} (varsler ved: {limit})."),
    "line_missing": ("{seen} (limit {limit}).", "{seen} (grense {limit})."),
    "limit_op": ("{op} {limit}", "{op} {limit}"),
    "limit_days": ("{days|day}", "{days|dag|dager}"),
    "limit_hours": ("{hours|hour}", "{hours|time|timer}"),
    "limit_at_least": ("at least {count} of {specs}", "minst {count} av {specs}"),
    "limit_with": ("{codes}, with {also} within {hours} h", "{codes}, med {also} innen {hours} t"),
    "spec": ("{label:lower}{condition}", "{label:lower}{condition}"),
    "spec_component": ("{component} {label:lower}{condition}", "{component} {label:lower}{condition}"),
    "spec_codes": (" {codes}", " {codes}"),
    "spec_limit": (" {op} {limit}", " {op} {limit}"),
    # Where the limit comes from.
    "origin_programme": ("Programme default{basis}{floor}.", "Programmets standard{basis}{floor}."),
    "origin_patient": ("Patient override{default}{floor}.", "Overstyrt for pasienten{default}{floor}."),
    "origin_basis": (" ({basis})", " ({basis})"),
    "origin_default": (" (programme default {limit})", " (programmets standard {limit})"),
    "origin_floor": ("; safety floor", "; sikkerhetsgulv"),
    "provenance": (
        'Override set by {name} {at}: "{reason}"{until}.',
        "Overstyring satt av {name} {at}: «{reason}»{until}.",
    ),
    "provenance_until": (", until {at}", ", til {at}"),
    "late": ("Late data: measured {at}, received {received}.", "Sen registrering: målt {at}, mottatt {received}."),
    # Thresholds.
    "component_label": ("{component:capital} {label}", "{component:capital} {label}"),
    "measured": ("Measured {at}.", "Målt {at}."),
    "measured_components": ("Measured {at} ({values}).", "Målt {at} ({values})."),
    "readings_beyond": ("{count} readings beyond the limit.", "{count} målinger utenfor grensen."),
    "age_unknown": ("Age unknown: treated as the youngest age band.", "Alder ukjent: vurdert som yngste aldersgruppe."),
    "age": ("Age {days} days.", "Alder {days} dager."),
    "age_corrected": (
        "Age {days} days ({corrected} days corrected).",
        "Alder {days} dager ({corrected} dager korrigert).",
    ),
    "sustained": ("Sustained: {parts}.", "Vedvarende: {parts}."),
    "sustained_readings": (
        "{count} readings in a row beyond the limit within {minutes:g} min",
        "{count} målinger på rad utenfor grensen innen {minutes:g} min",
    ),
    "sustained_minutes": (
        "beyond the limit for {minutes:g} min or more",
        "utenfor grensen i {minutes:g} min eller mer",
    ),
    # NEWS2.
    "news2_scores": (
        "Scale {scale}: {parts} (total {total}, RCP risk {risk}).",
        "Skala {scale}: {parts} (totalt {total}, RCP-risiko {risk}).",
    ),
    "news2_score": ("{name} {value}→{score}", "{name} {value}→{score}"),
    "news2_air_assumed": ("Oxygen not recorded: scored as air.", "Oksygen ikke registrert: skåret som luft."),
    "news2_oxygen_parameter": (
        "Oxygen not recorded on the reading: scored {how}, from the patient's parameters.",
        "Oksygen ikke registrert ved målingen: skåret {how}, etter pasientens parametre.",
    ),
    "news2_not_measured": ("Not measured: {names}.", "Ikke målt: {names}."),
    # Answers and what came with them.
    "answers": ("{answers}.", "{answers}."),
    "answer": ("{label}{value}{attributes} at {at}{note}", "{label}{value}{attributes}, {at}{note}"),
    "answer_value": (" {value}", " {value}"),
    "answer_attributes": (" ({attributes})", " ({attributes})"),
    "answer_attribute": ("{name} {value}", "{name} {value}"),
    "answer_note": (': "{note}"', ": «{note}»"),
    "with": ("With: {answers}", "Med: {answers}"),
    # Weight trends.
    "weights_over_days": (
        "{start:.0f} g ({start_day}) → {end:.0f} g ({end_day}) over {days} days.",
        "{start:.0f} g ({start_day}) → {end:.0f} g ({end_day}) over {days} dager.",
    ),
    "weights_from_highest": (
        "Highest {peak:.0f} g ({peak_day}) → {end:.0f} g ({end_day}).",
        "Høyeste {peak:.0f} g ({peak_day}) → {end:.0f} g ({end_day}).",
    ),
    "weights_day_to_day": (
        "{start:.0f} g ({start_day}) → {end:.0f} g ({end_day}).",
        "{start:.0f} g ({start_day}) → {end:.0f} g ({end_day}).",
    ),
    "implausible": (
        "A change over {pct:.0f} %/day is implausible: check for a mis-entry.",
        "En endring over {pct:.0f} %/døgn er usannsynlig: sjekk om det er feilregistrert.",
    ),
    "grams_series": ("{weights} g.", "{weights} g."),
    "grams": ("{value:.0f}", "{value:.0f}"),
    "kilograms_from_to": (
        "{start:.1f} kg ({start_day}) → {end:.1f} kg ({end_day}).",
        "{start:.1f} kg ({start_day}) → {end:.1f} kg ({end_day}).",
    ),
    "above_dry_weight": ("{weight:.1f} kg vs dry weight {dry:.1f} kg.", "{weight:.1f} kg mot tørrvekt {dry:.1f} kg."),
    "growth_over": ("Growth over {days} days", "Vekst over {days} dager"),
    "weight_gain_over": ("Weight gain over {days} days", "Vektøkning over {days} dager"),
    # Days and counts.
    "clock_change": (" ({hours:.0f}-hour day: clock change)", " ({hours:.0f}-timersdøgn: klokkeskifte)"),
    "clock_change_counted": (
        " ({hours:.0f}-hour day: clock change, {count:g} counted)",
        " ({hours:.0f}-timersdøgn: klokkeskifte, {count:g} talt)",
    ),
    "intake": (
        "{day}{clock}: {total:.0f} mL in {feeds} feeds; "
        "plan {plan:.0f} mL = {prescribed:g} mL/kg/day × {weight:.2f} kg ({weight_note}).",
        "{day}{clock}: {total:.0f} mL i {feeds} måltider; "
        "plan {plan:.0f} mL = {prescribed:g} mL/kg/døgn × {weight:.2f} kg ({weight_note}).",
    ),
    "feeds": ("{day}{clock}: {feeds}.", "{day}{clock}: {feeds}."),
    "feed": ("{time}{volume}", "{time}{volume}"),
    "feed_volume": (" {volume:.0f} mL", " {volume:.0f} mL"),
    "nappies": ("{day}{clock}: {count|registration}.", "{day}{clock}: {count|registrering|registreringer}."),
    "uf_day": ("{day} {total:.0f} mL", "{day} {total:.0f} mL"),
    "uf_days": ("{days}.", "{days}."),
    "large_vomits_in": ("Large vomits in {hours:g} h", "Store oppkast på {hours:g} t"),
    "large_vomits_since": (
        "{count|registration} of large vomits since {day} {time}.",
        "{count|registrering|registreringer} av store oppkast siden {day} kl. {time}.",
    ),
    # SpO2 against the patient's own numbers.
    "spo2_target_range": ("{low:g}-{high:g} %", "{low:g}–{high:g} %"),
    "spo2_target_floor": ("≥ {low:g} %", "≥ {low:g} %"),
    "spo2_lowest": (
        "Lowest new reading {lowest:g} %; personal target {target}.",
        "Laveste nye måling {lowest:g} %; personlig mål {target}.",
    ),
    "spo2_baseline": (
        "{lowest:g} % vs median {median:g} % of {count} readings over {days} days ({oxygen}).",
        "{lowest:g} % mot median {median:g} % av {count} målinger over {days} dager ({oxygen}).",
    ),
    # Dialysis.
    "uf_median": (
        "{day}: {total:.0f} mL vs median {median:.0f} mL of the {count} days before with data.",
        "{day}: {total:.0f} mL mot median {median:.0f} mL av de {count} foregående dagene med data.",
    ),
    "idwg": (
        "{post:.1f} kg after the last session ({post_day}) → {pre:.1f} kg before this one: "
        "{gain:+.1f} kg, dry weight {dry:.1f} kg.",
        "{post:.1f} kg etter forrige behandling ({post_day}) → {pre:.1f} kg før denne: "
        "{gain:+.1f} kg, tørrvekt {dry:.1f} kg.",
    ),
    "post_weight": ("{weight:.1f} kg ({day})", "{weight:.1f} kg ({day})"),
    "post_weights": (
        "{weights} after dialysis; dry weight {dry:.1f} kg.",
        "{weights} etter dialyse; tørrvekt {dry:.1f} kg.",
    ),
    "post_weight_above": (
        "Post-dialysis weight above dry weight on {sessions} sessions by at least",
        "Vekt etter dialyse over tørrvekt ved {sessions} behandlinger med minst",
    ),
    # Forms.
    "score_rise": (
        "{before:g} ({before_day}) → {latest:g} ({latest_day}).",
        "{before:g} ({before_day}) → {latest:g} ({latest_day}).",
    ),
    # Missing registrations.
    "missing": ("{what} for {span}, {since}", "{what} på {span}, {since}"),
    "missing_one": ("No {label:lower}{nonzero}", "Ingen {label:lower}{nonzero}"),
    "missing_any": ("No registration{nonzero}", "Ingen registrering{nonzero}"),
    "missing_nonzero": (" above 0", " over 0"),
    "missing_days": ("{days|whole day}", "{days|hel dag|hele dager}"),
    "missing_scheduled_days": (
        "{days|scheduled day} ({scheduled_by}: {weekdays})",
        "{days|planlagt dag|planlagte dager} ({scheduled_by}: {weekdays})",
    ),
    "missing_hours": ("{hours|hour}", "{hours|time|timer}"),
    "missing_last": ("last {at}", "sist {at}"),
    "missing_never": ("none since monitoring began", "ingen siden oppfølgingen startet"),
    "missing_looked_for": ("Looked for: {keys}.", "Så etter: {keys}."),
    # What Heima writes when it resolves an alert itself: the registration a missing-data alert
    # waited for arrived (the care app says who resolved it: "Resolved by Heima: …").
    "arrived": (
        "{what:capital} registered, measured {at} and received {received}.",
        "{what:capital} registrert, målt {at} og mottatt {received}.",
    ),
    "arrived_form": ("form {form}", "skjema {form}"),
    # And the note of alerts resolved because a clinician handled the contact request behind them.
    "contact_handled": ("Contact request handled.", "Ønske om kontakt håndtert."),
}

# -- titles and clinical sources ----------------------------------------------------------------

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

# The clinical sources of the default rules (defaults.py, `basis`) in bokmål, by their English
# text; a source missing here (a unit's own rule) is quoted as it was written.
BASES_NB = {
    "NICE NG143: < 3 months ≥ 38 °C = red": "NICE NG143: < 3 måneder ≥ 38 °C = rød",
    "project proposal; NICE NG143 3-6 months ≥ 39 °C = amber": "prosjektforslag; NICE NG143 3–6 måneder ≥ 39 °C = gul",
    "WHO normal range 36.5-37.5 °C": "WHOs normalområde 36,5–37,5 °C",
    "moderate hypothermia < 36.0 °C, PMC4546825": "moderat hypotermi < 36,0 °C, PMC4546825",
    "project proposal; ESPGHAN target 15-20 g/kg/day": "prosjektforslag; ESPGHANs mål 15–20 g/kg/døgn",
    "Connecticut Children's home NG pathway: 20-30 g/day": (
        "Connecticut Children's forløp for sondemating hjemme: 20–30 g/døgn"
    ),
    "project proposal; home NG pathway 20-30 g/day": "prosjektforslag; forløp for sondemating hjemme 20–30 g/døgn",
    "project proposal; scale noise ~10 g": "prosjektforslag; vektens støy ~10 g",
    "project proposal": "prosjektforslag",
    "DigiHOPP: plateau expected after tube feeds; 3 % = project proposal": (
        "DigiHOPP: platå ventet etter sondemating; 3 % = prosjektforslag"
    ),
    "nutrition plan; Forfar & Arneil, ESPGHAN": "ernæringsplan; Forfar & Arneil, ESPGHAN",
    "DigiHOPP parent page: at least 8 feeds a day": "DigiHOPPs foreldreside: minst 8 måltider i døgnet",
    "DigiHOPP parent page: 4-7 wet nappies a day": "DigiHOPPs foreldreside: 4–7 våte bleier i døgnet",
    "NICE-based leaflet: no wet nappy for 8 h under 3 months = amber": (
        "NICE-basert brosjyre: ingen våt bleie på 8 t under 3 måneder = gul"
    ),
    "project proposal; urgent after clinical review": "prosjektforslag; haster etter klinisk vurdering",
    "surgical emergency until proven otherwise, BMJ 2012;345:e4441": (
        "kirurgisk hastetilstand til det motsatte er vist, BMJ 2012;345:e4441"
    ),
    "NICE NG143: parental concern is valid": "NICE NG143: foreldres bekymring skal tas på alvor",
    "DigiHOPP parent page": "DigiHOPPs foreldreside",
    "DigiHOPP: daily weighing": "DigiHOPP: daglig veiing",
    "every programme: a request for contact is always urgent": "alle programmer: et ønske om kontakt haster alltid",
    "RCP NEWS2: ≥ 7 = high risk": "RCP NEWS2: ≥ 7 = høy risiko",
    "RCP NEWS2: 5-6 = medium risk": "RCP NEWS2: 5–6 = middels risiko",
    "RCP NEWS2: single 3 = urgent review": "RCP NEWS2: enkeltparameter 3 = rask vurdering",
    "RCP NEWS2: 1-4 = low risk": "RCP NEWS2: 1–4 = lav risiko",
    "project proposal; the patient's own SpO2 target": "prosjektforslag; pasientens eget SpO2-mål",
    "project proposal; Dignio/OpenTele relative thresholds": "prosjektforslag; relative terskler som i Dignio/OpenTele",
    "Anthonisen criteria, 3 of 3; project proposal": "Anthonisen-kriteriene, 3 av 3; prosjektforslag",
    "Anthonisen criteria, 2 of 3; project proposal": "Anthonisen-kriteriene, 2 av 3; prosjektforslag",
    "project proposal; own unvalidated score (not CAT)": "prosjektforslag; egen ikke-validert skår (ikke CAT)",
    "Dignio/Luscii inactivity alerts": "inaktivitetsvarsler som i Dignio/Luscii",
    "ISPD peritonitis criteria": "ISPDs kriterier for peritonitt",
    "ISPD peritonitis criteria: fever alone = urgent": "ISPDs kriterier for peritonitt: feber alene = haster",
    "project proposal; fluid overload in PD": "prosjektforslag; væskeoverskudd ved PD",
    "fluid overload in PD with symptoms = urgent; cut-offs project proposal": (
        "væskeoverskudd ved PD med symptomer = haster; grensene er prosjektforslag"
    ),
    "Semin Dial 2006: tighter control above 5.7 %": "Semin Dial 2006: tettere oppfølging over 5,7 %",
    "López-Gómez, Kidney Int 2005; with symptoms = urgent": "López-Gómez, Kidney Int 2005; med symptomer = haster",
    "López-Gómez, Kidney Int 2005: > 3.9 % cohort": "López-Gómez, Kidney Int 2005: kohorten > 3,9 %",
    "Am J Nephrol 2013: end-dialysis overweight > 0.3 kg": "Am J Nephrol 2013: overvekt ved dialyseslutt > 0,3 kg",
    "SBP ≤ 100 with symptoms = urgent; proposal aligned with NEWS2": (
        "SBT ≤ 100 med symptomer = haster; forslag i tråd med NEWS2"
    ),
    "project proposal; NEWS2 SBP ≤ 90 scores 3": "prosjektforslag; NEWS2 gir 3 for SBT ≤ 90",
    "patient education; 2 days = project proposal": "pasientopplæring; 2 dager = prosjektforslag",
    "patient education; 50 % = project proposal": "pasientopplæring; 50 % = prosjektforslag",
    "Dignio missed-task alert": "varsel om glemt oppgave som i Dignio",
}

# -- words ---------------------------------------------------------------------------------------

# What an observation type (or a form's answer, "form/item") is called; a type missing here is
# named from its code ("new_confusion" → "New confusion"), in both languages.
LABELS: dict[str, tuple[str, str]] = {
    "body_temperature": ("Temperature", "Temperatur"),
    "body_weight": ("Weight", "Vekt"),
    "spo2": ("SpO2", "SpO2"),
    "heart_rate": ("Pulse", "Puls"),
    "respiratory_rate": ("Resp. rate", "Resp.frekvens"),
    "blood_pressure": ("BP", "BT"),
    "ultrafiltration_volume": ("Net UF", "Netto UF"),
    "effluent_appearance": ("PD effluent", "PD-dialysat"),
    "vomiting": ("Vomit", "Oppkast"),
    "contact_request": ("Contact request", "Ønske om kontakt"),
    "premature-daily/vomit_colour": ("Vomit colour (daily check)", "Farge på oppkast (daglig sjekk)"),
    "premature-daily/tube_problem": ("Tube problem (daily check)", "Problem med sonden (daglig sjekk)"),
    "premature-worried/worried": ("Parent worried", "Foreldre bekymret"),
    "pd-session/abdominal_pain": ("Abdominal pain", "Magesmerter"),
    "copd-symptom-diary/new_confusion": ("New confusion", "Nyoppstått forvirring"),
    "copd-symptom-diary/more_breathless": ("More breathless", "Mer tung pust"),
    "copd-symptom-diary/sputum_colour_changed": ("Sputum colour changed", "Endret farge på oppspytt"),
    "copd-symptom-diary/sputum_volume_increased": ("More sputum", "Mer oppspytt"),
    "copd-weekly-wellbeing/score": ("Weekly wellbeing score", "Ukentlig trivselsskår"),
    "wet_nappies": ("Wet nappies", "Våte bleier"),
    "feeding_volume": ("Feed", "Måltid"),
    # Items of the dialysis forms that symptom rules name.
    "pd-session/dizzy": ("Dizzy", "Svimmel"),
    "hd-session/dizzy": ("Dizzy", "Svimmel"),
    "pd-session/breathless": ("Breathless", "Tung pust"),
    "hd-session/breathless": ("Breathless", "Tung pust"),
    "pd-session/oedema": ("Oedema", "Ødem"),
    "hd-session/oedema": ("Oedema", "Ødem"),
}

TERMS: dict[str, tuple[str, str]] = {
    # What the findings themselves are called.
    "news2": ("NEWS2", "NEWS2"),
    "news2_single": ("NEWS2 highest single parameter", "NEWS2 høyeste enkeltparameter"),
    "symptoms_reported": ("Symptoms reported", "Symptomer meldt"),
    "weight_loss_from_highest": ("Weight loss from the recent highest", "Vekttap fra siste høyeste"),
    "weight_loss_since_previous_day": ("Weight loss since previous day", "Vekttap siden dagen før"),
    "consecutive_weight_losses": ("Consecutive daily weight losses", "Vekttap dager på rad"),
    "weight_above_dry_weight": ("Weight above dry weight", "Vekt over tørrvekt"),
    "negative_uf_days": ("Days with negative net UF", "Dager med negativ netto UF"),
    "intake_of_plan": ("Intake of plan", "Inntak av plan"),
    "feeds_in_a_day": ("Feeds in a day", "Måltider på et døgn"),
    "wet_nappies_in_a_day": ("Wet nappies in a day", "Våte bleier på et døgn"),
    "spo2_below_target_by": ("SpO2 below personal target by", "SpO2 under personlig mål med"),
    "spo2_below_baseline_by": ("SpO2 below own baseline by", "SpO2 under eget utgangsnivå med"),
    "uf_below_median_by": ("Net UF below its 7-day median by", "Netto UF under 7-dagers median med"),
    "interdialytic_weight_gain": ("Interdialytic weight gain", "Vektøkning mellom dialyser"),
    "score_rise": ("Score rise", "Skårøkning"),
    # NEWS2 parameters, as the scores list names them.
    "news2:respiratory_rate": ("RR", "RF"),
    "news2:spo2": ("SpO2", "SpO2"),
    "news2:air_or_oxygen": ("O2", "O2"),
    "news2:systolic": ("SBP", "SBT"),
    "news2:heart_rate": ("pulse", "puls"),
    "news2:consciousness": ("new confusion", "ny forvirring"),
    "news2:temperature": ("temp", "temp"),
    # RCP's clinical-risk words.
    "risk:none": ("none", "ingen"),
    "risk:low": ("low", "lav"),
    "risk:low-medium": ("low-medium", "lav-middels"),
    "risk:medium": ("medium", "middels"),
    "risk:high": ("high", "høy"),
    "on_home_oxygen": ("on home oxygen", "på hjemmeoksygen"),
    "on_air_no_home_oxygen": ("on air (no home oxygen)", "på luft (uten hjemmeoksygen)"),
    "on_oxygen": ("on oxygen", "på oksygen"),
    "on_air": ("on air", "på luft"),
    "latest_weight": ("latest weight", "siste vekt"),
    "birth_weight": ("birth weight", "fødselsvekt"),
    "any_answer": ("any", "alle svar"),
    # Blood-pressure components.
    "component:systolic": ("systolic", "systolisk"),
    "component:diastolic": ("diastolic", "diastolisk"),
    # Weekdays of a schedule.
    "weekday:mon": ("mon", "man"),
    "weekday:tue": ("tue", "tir"),
    "weekday:wed": ("wed", "ons"),
    "weekday:thu": ("thu", "tor"),
    "weekday:fri": ("fri", "fre"),
    "weekday:sat": ("sat", "lør"),
    "weekday:sun": ("sun", "søn"),
}

# Coded answers and attributes as they are registered (migrations/0003_measurements.sql), and the
# attributes' names; a code missing here is shown as it is, in both languages.
CODES: dict[str, tuple[str, str]] = {
    "clear": ("clear", "klar"),
    "cloudy": ("cloudy", "uklar"),
    "milky": ("milky", "melkeaktig"),
    "yellow": ("yellow", "gul"),
    "green": ("green", "grønn"),
    "bloody": ("bloody", "blodig"),
    "small": ("small", "lite"),
    "large": ("large", "stort"),
    "tube": ("tube", "sonde"),
    "bottle": ("bottle", "flaske"),
    "breast": ("breast", "bryst"),
    "colour": ("colour", "farge"),
    "size": ("size", "størrelse"),
    "route": ("route", "måte"),
}

# Units as a reader sees them; "d", "h" and "points" are counted words instead (texts.quantity).
UNITS: dict[str, tuple[str, str]] = {
    "Cel": ("°C", "°C"),
    "mm[Hg]": ("mmHg", "mmHg"),
    "g/kg/d": ("g/kg/day", "g/kg/døgn"),
    "g/d": ("g/day", "g/døgn"),
}
COUNTED_UNITS: dict[str, tuple[tuple[str, str], tuple[str, str]]] = {
    "d": (("day", "days"), ("dag", "dager")),
    "h": (("hour", "hours"), ("time", "timer")),
    "points": (("point", "points"), ("poeng", "poeng")),
}
YES_NO: dict[bool, tuple[str, str]] = {True: ("yes", "ja"), False: ("no", "nei")}
JOINERS: dict[str, tuple[str, str]] = {"and": (" and ", " og "), "or": (" or ", " eller ")}
MONTHS_NB = ("jan", "feb", "mar", "apr", "mai", "jun", "jul", "aug", "sep", "okt", "nov", "des")
