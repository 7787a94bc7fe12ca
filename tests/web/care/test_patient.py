"""The patient in Chromium: charts with their thresholds drawn from real data, a table of the same
values, an override with its reason visible in the rules, and an activation code as text and QR."""

from __future__ import annotations

import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from tests.alerts.support import temperature, upload
from tests.helpers import API, expect, make_patient, unique
from tests.measurements.support import item
from tests.web.care.conftest import sign_in

pytestmark = pytest.mark.asyncio(loop_scope="session")

WEB = Path(__file__).resolve().parents[3] / "web"


async def test_charts_render_with_data_and_thresholds(care, ward, client, session_clock):
    now = session_clock.now
    weights = [
        item("body_weight", 2000 + 30 * day, "g", measured_at=(now - timedelta(days=5 - day, hours=1)).isoformat())
        for day in range(5)
    ]
    feeds = [
        item(
            "feeding_volume",
            45,
            "mL",
            measured_at=(now - timedelta(days=2, hours=3 * n)).isoformat(),
            attributes={"route": "tube"},
        )
        for n in range(6)
    ]
    await upload(client, ward.nurse, ward.infant, *weights, *feeds)
    await upload(client, ward.nurse, ward.infant, temperature(37.0, now - timedelta(hours=3)), temperature(37.4))

    await sign_in(care, ward.nurse.name)
    await care.goto(f"/care/patients/{ward.infant}")
    await care.get_by_role("heading", name="Ada Nordmann", exact=False).wait_for()
    charts = care.locator("figure.chart")
    await charts.first.wait_for()
    # Weight: five points on the line; growth derived from them; intake per day against the plan.
    weight = care.locator("figure.chart", has=care.locator("[data-series='body_weight']"))
    assert await weight.locator("circle").count() == 5
    growth = care.locator("figure.chart", has=care.locator("[data-series='growth']"))
    assert await growth.locator("circle").count() == 4
    intake = care.locator("figure.chart", has=care.locator(".bar"))
    assert await intake.locator(".bar").count() >= 1 and await intake.locator("line.plan").count() >= 1
    # Temperature: two points and the programme's thresholds (fever 38.0 among them) as dashed lines.
    temp = care.locator("figure.chart", has=care.locator("[data-series='body_temperature']"))
    assert await temp.locator("circle").count() == 2
    thresholds = await temp.locator("[data-threshold]").evaluate_all("els => els.map(e => e.dataset.threshold)")
    assert thresholds and all(float(value) > 0 for value in thresholds)
    assert "role" in (await temp.locator("svg").evaluate("e => e.getAttributeNames().join(' ')"))
    # The same values as a table.
    await care.get_by_role("button", name="Tabell").click()
    table = care.locator("table.grid")
    await table.wait_for()
    assert await table.locator("tbody tr").count() == 5 + 6 + 2


async def test_the_news2_the_rules_compute_is_charted_with_its_thresholds(care, ward, client, session_clock):
    now = session_clock.now
    copd = await make_patient(client, ward.nurse, ward.unit_id, "copd", {"spo2_scale": 1}, unique("Kari Kols"))

    def at(hours: float) -> dict[str, str]:
        return {"measured_at": (now - timedelta(hours=hours)).isoformat()}

    # NEWS2 5 (RR 22 → 2, SpO2 93 → 2, pulse 95 → 1), then 3 (RR 25 alone) two hours later.
    await upload(
        client,
        ward.nurse,
        copd,
        item("respiratory_rate", 22, "/min", **at(3)),
        item("spo2", 93, "%", **at(3)),
        item("heart_rate", 95, "/min", **at(3)),
    )
    await upload(client, ward.nurse, copd, item("respiratory_rate", 25, "/min", **at(1)))
    scores = await expect(await client.get(f"{API}/patients/{copd}/news2", headers=ward.nurse.headers), 200)
    assert [p["total"] for p in scores["items"]] == [5, 3]

    await sign_in(care, ward.nurse.name)
    await care.goto(f"/care/patients/{copd}")
    news2 = care.locator("figure.chart", has=care.locator("[data-series='news2']"))
    await news2.wait_for()
    assert await news2.locator("circle").count() == 2
    # The programme's NEWS2 bands (1, 5 and 7 or more) drawn as dashed lines.
    drawn = await news2.locator("[data-threshold]").evaluate_all("els => els.map(e => Number(e.dataset.threshold))")
    assert {1, 5, 7} <= set(drawn)
    await care.get_by_role("button", name="Tabell").click()
    table = care.locator("table.news2")
    await table.wait_for()
    rows = await table.locator("tbody tr").evaluate_all("rows => rows.map(r => r.innerText)")
    assert [row.split("\t")[1:3] for row in rows] == [["5", "Middels"], ["3", "Lav–middels"]]


async def test_an_override_with_its_reason_shows_in_the_rules_and_the_explanation(care, ward, client):
    await sign_in(care, ward.nurse.name)
    await care.goto(f"/care/patients/{ward.other_infant}?tab=rules")
    rule = care.locator("[data-rule='infant_fever']")
    await rule.wait_for()
    await rule.get_by_role("button", name="Endre").click()
    params = rule.get_by_label("Parametre (JSON)")
    current = await params.input_value()
    assert '"limit"' in current
    await params.fill(current.replace('"limit":38', '"limit":37.8').replace('"limit":38.0', '"limit":37.8'))
    await rule.get_by_label("Begrunnelse").fill("Lavere terskel etter infeksjon forrige uke")
    await rule.get_by_role("button", name="Lagre").click()
    await rule.get_by_text("Lavere terskel etter infeksjon forrige uke").first.wait_for()
    assert "Pasientens innstilling" in await rule.inner_text()
    # A breach of the override: the alert's explanation names it and its reason.
    raised = await upload(client, ward.nurse, ward.other_infant, temperature(37.9))
    alert_id = raised["alerts"][0]["id"]
    await care.goto(f"/care/alerts/{alert_id}")
    row = care.locator(f"[data-alert-id='{alert_id}']")
    await row.wait_for()
    explanation = await row.locator(".explanation").inner_text()
    # In the reader's language (the care app opens in bokmål), with the clinician's own words.
    assert explanation.startswith("Temperatur 37,9 °C ≥ 37,8 °C. Overstyrt for pasienten")
    assert "«Lavere terskel etter infeksjon forrige uke»" in explanation


def qr_modules(text: str) -> list[str]:
    """The modules of `text` as a QR code, from the encoder the app ships (web/node_modules/uqr),
    with the app's options: what the page draws must be exactly this."""
    script = (
        "import { encode } from 'uqr';"
        "const qr = encode(process.argv[1], { ecc: 'M', border: 4 });"
        "console.log(qr.data.map((row) => row.map((dark) => (dark ? '1' : '0')).join('')).join('/'));"
    )
    done = subprocess.run(
        ["node", "--input-type=module", "-e", script, text], cwd=WEB, capture_output=True, text=True, check=True
    )
    return done.stdout.strip().split("/")


async def test_an_activation_code_issued_in_the_care_app_is_redeemed_in_the_family_app(
    care, page, ward, client, web_server
):
    await sign_in(care, ward.nurse.name)
    await care.goto(f"/care/patients/{ward.infant}?tab=people")
    await care.get_by_label("Navn").fill("Mor Nordmann")
    await care.get_by_role("button", name="Lag aktiveringskode").click()
    code = await care.locator(".activation-code").inner_text()
    qr = care.get_by_role("img", name=f"QR-kode for aktiveringskoden {code}")
    await qr.wait_for()
    # The QR code holds the family app's activation screen with the code in the fragment.
    link = f"{web_server}/app/#/activate?code={code}"
    assert (await qr.get_attribute("data-modules")).split("/") == qr_modules(link)

    # The mother's phone opens what it scanned: the code is filled in; she names the phone.
    await page.goto(link)
    assert await page.get_by_label("Aktiveringskode").input_value() == code
    await page.get_by_label("Navn på enheten").fill("Mors telefon")
    await page.get_by_role("button", name="Aktiver").click()
    await page.get_by_test_id("for-whom").wait_for()
    assert "Ada Nordmann" in await page.get_by_test_id("for-whom").inner_text()

    # The care app sees her and her phone; the code cannot be used twice.
    await care.reload()
    await care.locator("tr", has_text="Mors telefon").wait_for()
    [guardian] = await care.locator("[data-guardian-id] > span").first.all_inner_texts()
    assert guardian == "Mor Nordmann"
    again = await client.post(f"{API}/auth/activate", json={"code": code, "device_name": "en annen"})
    assert again.status_code == 401
