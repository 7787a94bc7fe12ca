// Getting started: the activation code from the hospital and a name for this device. The code can
// also come in the URL (`/app/#/activate?code=…`, what a QR code on the discharge letter holds), so
// a phone that can scan fills it in by itself.

import { useState } from "preact/hooks";
import type { TokenPair } from "../shared/session";
import { useT } from "./app";
import { session } from "./state";

function codeFromUrl(): string {
  const query = location.hash.split("?")[1] ?? "";
  return new URLSearchParams(query).get("code") ?? "";
}

export function Activate() {
  const { t } = useT();
  const [code, setCode] = useState(codeFromUrl);
  const [device, setDevice] = useState(t("deviceNameDefault"));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const response = await fetch("/api/v1/auth/activate", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ code: code.trim(), device_name: device.trim() || t("deviceNameDefault") }),
      });
      if (response.ok) {
        session.store((await response.json()) as TokenPair);
        history.replaceState(null, "", `${location.pathname}#/`);
        return;
      }
      // 409: a guardian code for a child of a parent who is already signed in elsewhere.
      setError(response.status === 409 ? t("activationExisting") : t("activationFailed"));
    } catch {
      setError(t("activationOffline"));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="page">
      <h1>{t("activateTitle")}</h1>
      <p>{t("activateIntro")}</p>
      <form onSubmit={submit}>
        <label for="code">{t("activationCode")}</label>
        <input
          id="code"
          name="code"
          value={code}
          onInput={(e) => setCode(e.currentTarget.value)}
          autocomplete="one-time-code"
          autocapitalize="characters"
          spellcheck={false}
          required
          class="code-input"
        />
        <label for="device">{t("deviceName")}</label>
        <input
          id="device"
          name="device"
          value={device}
          onInput={(e) => setDevice(e.currentTarget.value)}
          maxLength={100}
          required
        />
        {error && (
          <p class="notice high" role="alert">
            {error}
          </p>
        )}
        <p>
          <button type="submit" disabled={busy}>
            {busy ? t("activating") : t("activate")}
          </button>
        </p>
      </form>
    </main>
  );
}
