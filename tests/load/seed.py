"""Seed a running Heima, through its API only, with the people the load scenarios play.

    .venv/bin/python tests/load/seed.py --base-url http://127.0.0.1:8000 \\
        --admin-username load-admin --admin-password-stdin --families 50 --out load-credentials.json

Creates one organisation with three units (neonatal, pulmonary, renal), nurses in each, and:
  - premature-home families: one infant, or twins (every `--twins-every`th family) that share one
    guardian — the second child's activation code names the guardian (`guardian_id`, docs/api.md, "Patients"),
    and the guardian's signed-in phone redeems it (POST /me/guardianships);
  - COPD patients (NEWS2 SpO2 scale 1 or 2) and home-dialysis patients (a dry weight each);
  - for every family and patient an activation code exchanged for phone tokens (POST /auth/activate).

Writes a JSON credentials file that tests/load/locustfile.py reads (HEIMA_LOAD_CREDENTIALS). It
holds live tokens and the nurses' passwords: treat it as a secret and delete it after the run.

The admin is whoever can POST /organisations; make one with `heima create-admin --username NAME`
(password on stdin). The admin password comes from --admin-password, --admin-password-stdin or
HEIMA_LOAD_ADMIN_PASSWORD, in that order.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.bench_upload import _call  # noqa: E402

FORMAT_VERSION = 1
UNITS = {"neonatal": "Nyfødt hjemmeoppfølging", "pulmonary": "Lungemedisin hjemme", "renal": "Hjemmedialyse"}
PROGRAMMES = {"neonatal": "premature-home", "pulmonary": "copd", "renal": "home-dialysis"}


@dataclass
class Seeder:
    client: httpx.AsyncClient
    tag: str
    rng: random.Random
    slots: asyncio.Semaphore
    nurse_tokens: dict[str, str]  # unit key → a nurse's access token (nurses create the patients)
    unit_ids: dict[str, str]

    async def call(self, method: str, path: str, token: str | None = None, **kw: Any) -> Any:
        async with self.slots:
            return await _call(self.client, method, path, token, **kw)

    async def patient(self, unit: str, name: str, birth: date, parameters: dict[str, Any]) -> str:
        token = self.nurse_tokens[unit]
        body = {"display_name": name, "birth_date": birth.isoformat(), "unit_id": self.unit_ids[unit]}
        patient = await self.call("POST", "/patients", token, json=body)
        enrolment = {"programme": PROGRAMMES[unit], "unit_id": self.unit_ids[unit], "parameters": parameters}
        await self.call("POST", f"/patients/{patient['id']}/enrolments", token, json=enrolment)
        return patient["id"]

    async def activate(self, unit: str, patient_id: str, body: dict[str, Any], device: str) -> dict[str, Any]:
        code = await self.call("POST", f"/patients/{patient_id}/activation-codes", self.nurse_tokens[unit], json=body)
        tokens = await self.call("POST", "/auth/activate", json={"code": code["code"], "device_name": device})
        return {
            "access_token": tokens["access_token"],
            "refresh_token": tokens["refresh_token"],
            "expires_in": tokens["expires_in"],
            # Lets the load know whether the access token may already have expired when it starts.
            "issued_at": time.time(),
        }

    async def family(self, index: int, twins: bool) -> dict[str, Any]:
        surname = f"Load{self.tag}F{index}"
        birth = date.today() - timedelta(days=self.rng.randint(14, 60))  # under 3 months: the infant rules
        infants = []
        for letter in "AB" if twins else "A":
            parameters = {
                "birth_weight_g": self.rng.randint(1100, 2400),
                "gestational_age_at_birth_weeks": self.rng.randint(28, 34),
                "prescribed_ml_per_kg_day": self.rng.choice([150, 160, 165, 170, 180]),
            }
            name = f"{'Tvilling ' + letter if twins else 'Baby'} {surname}"
            infants.append({"patient_id": await self.patient("neonatal", name, birth, parameters), **parameters})
        guardian = {"role": "guardian", "display_name": f"Forelder {surname}"}
        session = await self.activate("neonatal", infants[0]["patient_id"], guardian, "parent phone")
        if twins:
            me = await self.call("GET", "/me", session["access_token"])
            # The same parent for the second twin: a code naming the guardian, which the parent
            # redeems in their signed-in app (it signs nobody in).
            second = {**guardian, "guardian_id": me["id"]}
            code = await self.call(
                "POST",
                f"/patients/{infants[1]['patient_id']}/activation-codes",
                self.nurse_tokens["neonatal"],
                json=second,
            )
            await self.call("POST", "/me/guardianships", session["access_token"], json={"code": code["code"]})
        me = await self.call("GET", "/me", session["access_token"])
        expected = {i["patient_id"] for i in infants}
        if set(me["patient_ids"]) != expected:
            raise RuntimeError(f"guardian of family {index} sees {me['patient_ids']}, expected {sorted(expected)}")
        return {"key": f"family-{index}", "guardian_id": me["id"], "infants": infants, **session}

    async def copd(self, index: int) -> dict[str, Any]:
        birth = date(self.rng.randint(1940, 1965), self.rng.randint(1, 12), self.rng.randint(1, 28))
        # Scale 2 only for confirmed hypercapnic failure: a minority of a COPD caseload.
        scale = 2 if index % 4 == 0 else 1
        patient_id = await self.patient("pulmonary", f"Kols Load{self.tag}P{index}", birth, {"spo2_scale": scale})
        body = {"role": "patient", "display_name": f"Kols Load{self.tag}P{index}"}
        session = await self.activate("pulmonary", patient_id, body, "patient phone")
        return {"key": f"copd-{index}", "patient_id": patient_id, "spo2_scale": scale, **session}

    async def dialysis(self, index: int) -> dict[str, Any]:
        birth = date(self.rng.randint(1945, 1995), self.rng.randint(1, 12), self.rng.randint(1, 28))
        dry = round(self.rng.uniform(55, 95), 1)
        parameters = {"dry_weight_kg": dry, "modality": "peritoneal"}
        patient_id = await self.patient("renal", f"Dialyse Load{self.tag}P{index}", birth, parameters)
        body = {"role": "patient", "display_name": f"Dialyse Load{self.tag}P{index}"}
        session = await self.activate("renal", patient_id, body, "patient phone")
        return {"key": f"dialysis-{index}", "patient_id": patient_id, "dry_weight_kg": dry, **session}


async def seed(args: argparse.Namespace, admin_password: str) -> dict[str, Any]:
    tag = args.tag or secrets.token_hex(3)
    rng = random.Random(args.random_seed)
    nurse_password = secrets.token_urlsafe(18)
    async with httpx.AsyncClient(base_url=args.base_url.rstrip("/"), timeout=60) as client:
        login = {"username": args.admin_username, "password": admin_password}
        admin = (await _call(client, "POST", "/auth/login", json=login))["access_token"]
        org = await _call(
            client, "POST", "/organisations", admin, json={"name": f"Heima load {tag}", "kind": "hospital"}
        )
        unit_ids = {}
        for key, name in UNITS.items():
            unit = await _call(client, "POST", f"/organisations/{org['id']}/units", admin, json={"name": name})
            unit_ids[key] = unit["id"]
        clinicians = []
        for key in UNITS:
            for n in range(args.nurses_per_unit):
                username = f"load-{tag}-{key}-nurse-{n}"
                user = {
                    "username": username,
                    "password": nurse_password,
                    "display_name": f"Load nurse {key} {n}",
                    "role": "clinician",
                    "profession": "nurse",
                    "unit_ids": [unit_ids[key]],
                }
                created = await _call(client, "POST", "/users", admin, json=user)
                clinicians.append(
                    {"username": username, "password": nurse_password, "user_id": created["id"], "unit": key}
                )
        nurse_tokens = {}
        for key in UNITS:
            first = next(c for c in clinicians if c["unit"] == key)
            body = {"username": first["username"], "password": nurse_password}
            nurse_tokens[key] = (await _call(client, "POST", "/auth/login", json=body))["access_token"]

        seeder = Seeder(client, tag, rng, asyncio.Semaphore(args.concurrency), nurse_tokens, unit_ids)
        families = await asyncio.gather(
            *(seeder.family(i, twins=args.twins_every > 0 and i % args.twins_every == 0) for i in range(args.families))
        )
        copd = await asyncio.gather(*(seeder.copd(i) for i in range(args.copd)))
        dialysis = await asyncio.gather(*(seeder.dialysis(i) for i in range(args.dialysis)))
    return {
        "format": FORMAT_VERSION,
        "tag": tag,
        "created_at": datetime.now(UTC).isoformat(),
        "base_url": args.base_url,
        "organisation_id": org["id"],
        "units": unit_ids,
        "clinicians": clinicians,
        "families": list(families),
        "copd": list(copd),
        "dialysis": list(dialysis),
    }


def write_credentials(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    # Live tokens and passwords: readable by the owner only.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(data, out, indent=1)
    os.replace(tmp, path)


def admin_password(args: argparse.Namespace) -> str:
    if args.admin_password:
        return args.admin_password
    if args.admin_password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if password := os.environ.get("HEIMA_LOAD_ADMIN_PASSWORD"):
        return password
    raise SystemExit("no admin password: --admin-password, --admin-password-stdin or HEIMA_LOAD_ADMIN_PASSWORD")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="the service, without /api/v1")
    parser.add_argument("--admin-username", required=True)
    parser.add_argument("--admin-password", help="prefer --admin-password-stdin or the environment")
    parser.add_argument("--admin-password-stdin", action="store_true", help="read the admin password from stdin")
    parser.add_argument("--families", type=int, default=50, help="premature-home families")
    parser.add_argument("--twins-every", type=int, default=5, help="every Nth family has twins (0: none)")
    parser.add_argument("--copd", type=int, help="COPD patients (default: as many as families)")
    parser.add_argument("--dialysis", type=int, help="home-dialysis patients (default: half the families)")
    parser.add_argument("--nurses-per-unit", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight while seeding")
    parser.add_argument("--tag", help="makes names unique (default: random); seed as often as you like")
    parser.add_argument("--random-seed", type=int, default=None)
    parser.add_argument("--out", type=Path, required=True, help="the credentials file to write")
    args = parser.parse_args(argv)
    if args.copd is None:
        args.copd = args.families
    if args.dialysis is None:
        args.dialysis = max(1, args.families // 2)
    if min(args.families, args.copd, args.dialysis) < 0 or args.nurses_per_unit < 1:
        parser.error("counts must not be negative, and every unit needs a nurse")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    password = admin_password(args)
    began = time.monotonic()
    data = asyncio.run(seed(args, password))
    write_credentials(args.out, data)
    infants = sum(len(f["infants"]) for f in data["families"])
    print(
        f"seeded {len(data['families'])} families ({infants} infants), {len(data['copd'])} COPD and "
        f"{len(data['dialysis'])} dialysis patients, {len(data['clinicians'])} nurses "
        f"in {time.monotonic() - began:.1f} s → {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
