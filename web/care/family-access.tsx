// Guardians and devices: who of the family has access to the patient, and which phones are
// signed in (the patient's own and their guardians'). A clinician ends a lost phone's session or
// unlinks a guardian after a custody change; both are asked twice, and the server logs them.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { api, formatTime, ok, usePatientItems, useT } from "./state";
import { ColumnHeads } from "./tables";

type Patient = Schemas["Patient"];
type FamilySession = Schemas["FamilySession"];

/** A destructive button that asks once more in place ("Confirm" / "Cancel"). */
function ConfirmButton({
  label,
  question,
  onConfirm,
}: {
  label: string;
  question: string;
  onConfirm: () => Promise<void>;
}) {
  const { t } = useT();
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmButton = useRef<HTMLButtonElement>(null);
  // The button pressed is replaced by the question: keep the keyboard's place on its answer.
  useEffect(() => {
    if (asking) confirmButton.current?.focus();
  }, [asking]);
  if (!asking)
    return (
      <button type="button" class="secondary" onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      setAsking(false);
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <span class="confirm">
      <span>{question}</span>{" "}
      <button ref={confirmButton} type="button" class="danger" disabled={busy} onClick={confirm}>
        {t("confirm")}
      </button>{" "}
      <button type="button" class="secondary" disabled={busy} onClick={() => setAsking(false)}>
        {t("cancel")}
      </button>
      {error && (
        <span class="error" role="alert">
          {" "}
          {error}
        </span>
      )}
    </span>
  );
}

export function FamilyAccess({ patient, onChange }: { patient: Patient; onChange: () => void }) {
  const { t, lang } = useT();
  const sessions = usePatientItems(patient.id, (params) =>
    api.GET("/api/v1/patients/{patient_id}/sessions", { params }),
  );
  const unlink = async (guardianId: string) => {
    ok(
      await api.DELETE("/api/v1/patients/{patient_id}/guardians/{guardian_id}", {
        params: { path: { patient_id: patient.id, guardian_id: guardianId } },
      }),
    );
    onChange();
    sessions.reload(); // a guardian left with no child is signed out
  };
  const end = async (sessionId: string) => {
    ok(
      await api.DELETE("/api/v1/patients/{patient_id}/sessions/{session_id}", {
        params: { path: { patient_id: patient.id, session_id: sessionId } },
      }),
    );
    sessions.reload();
  };
  const how = (s: FamilySession) =>
    t(
      s.signed_in_with === "device-code"
        ? "viaDeviceCode"
        : s.signed_in_with === "password"
          ? "viaPassword"
          : "viaActivationCode",
    );

  return (
    <section aria-labelledby="guardians-title">
      <h2 id="guardians-title">{t("guardians")}</h2>
      <ul class="plain people">
        {patient.guardians.length === 0 && <li>{t("none")}</li>}
        {patient.guardians.map((g) => (
          <li key={g.id} data-guardian-id={g.id}>
            <span>{g.display_name}</span>{" "}
            <ConfirmButton
              label={t("unlinkGuardian")}
              question={t("unlinkQuestion", { name: g.display_name })}
              onConfirm={() => unlink(g.id)}
            />
          </li>
        ))}
      </ul>
      <h2 id="devices-title">{t("devices")}</h2>
      {sessions.error && <p class="error">{sessions.error.message}</p>}
      {!sessions.data && !sessions.error && <p>{t("loading")}</p>}
      {sessions.data && sessions.data.length === 0 && <p>{t("noDevices")}</p>}
      {sessions.data && sessions.data.length > 0 && (
        <table class="grid" aria-labelledby="devices-title">
          <ColumnHeads
            columns={[
              t("device"),
              t("who"),
              t("signedInAt"),
              <span class="visually-hidden">{t("actions")}</span>,
            ]}
          />
          <tbody>
            {sessions.data.map((s) => (
              <tr key={s.id} data-session-id={s.id}>
                <td>{s.device_name ?? t("unnamedDevice")}</td>
                <td>
                  {s.user.display_name}{" "}
                  <span class="meta">({t(s.user_role === "patient" ? "patientRole" : "guardian")})</span>
                </td>
                <td>
                  {formatTime(s.created_at, lang)} <span class="meta">· {how(s)}</span>
                  {s.code_issued_by && (
                    <span class="meta"> · {t("codeIssuedBy", { who: s.code_issued_by.display_name })}</span>
                  )}
                </td>
                <td>
                  <ConfirmButton
                    label={t("endSession")}
                    question={t("endSessionQuestion", { device: s.device_name ?? t("unnamedDevice") })}
                    onConfirm={() => end(s.id)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
