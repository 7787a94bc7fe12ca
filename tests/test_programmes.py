"""The programme catalogue is data: what GET /programmes shows comes from the migrations."""

from alerting.engine import texts
from alerting.engine.defaults import DEFAULT_RULES
from tests.helpers import API, expect


async def test_the_three_programmes_list_their_types_forms_and_parameters(client, world):
    body = await expect(await client.get(f"{API}/programmes", headers=world.guardian.headers), 200)
    programmes = {p["code"]: p for p in body["items"]}
    assert set(programmes) == {"premature-home", "copd", "home-dialysis"}
    types = {code: [t["code"] for t in p["measurement_types"]] for code, p in programmes.items()}
    assert types["premature-home"][:2] == ["body_weight", "feeding_volume"]
    assert "spo2" in types["copd"] and "effluent_appearance" in types["home-dialysis"]
    weight = programmes["premature-home"]["measurement_types"][0]
    assert (weight["code_system"], weight["code_value"], weight["canonical_unit"]) == (
        "http://loinc.org",
        "29463-7",
        "g",
    )
    assert set(weight["units"]) == {"g", "kg"}
    for programme in programmes.values():
        assert programme["forms"], programme["code"]
        for form in programme["forms"]:
            assert form["version"] >= 1
            for item in form["items"]:
                assert item["text"]["nb"] and item["text"]["en"], (form["code"], item["link_id"])
    parameters = {p["name"]: p for p in programmes["copd"]["parameters"]}
    assert parameters["spo2_scale"]["options"] == [1, 2]


async def test_the_catalogue_needs_a_sign_in(client):
    await expect(await client.get(f"{API}/programmes"), 401)


async def test_each_programme_lists_the_default_rules_the_engine_applies(client, world):
    """The contract: each programme lists its default rules (it listed none: `"rules": []`)."""
    body = await expect(await client.get(f"{API}/programmes", headers=world.clin_u1.headers), 200)
    for programme in body["items"]:
        rules = {rule["code"]: rule for rule in programme["rules"]}
        engine = {rule.code: rule for rule in DEFAULT_RULES[programme["code"]]}
        assert list(rules) == list(engine), programme["code"]
        for code, rule in rules.items():
            assert rule["source"] == "programme"
            assert (rule["kind"], rule["severity"], rule["params"]) == (
                engine[code].kind,
                engine[code].severity,
                engine[code].params,
            )
            assert rule["basis"], code
            # A title is a template ("{limit}", "{days|day}"): listed filled with the default's numbers.
            assert "{" not in rule["title"] and rule["title"] == texts.title(engine[code]), code
    fever = next(r for p in body["items"] for r in p["rules"] if r["code"] == "infant_fever")
    assert fever["safety_floor"] is True and fever["params"]["limit"] == 38.0
