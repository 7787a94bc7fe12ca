// Registering: each programme's measurement types and forms, for the chosen child or both twins.
// Everything is checked on the phone with the catalogue's own ranges (from GET /programmes), saved
// in the outbox, and sent from there.

import { useMemo, useState } from "preact/hooks";
import { local } from "../shared/i18n";
import { useApp } from "./app";
import { type MeasurementType, sharedTypes } from "./catalogue";
import { ContactRequest } from "./contact";
import { FormView } from "./form";
import { type MeasurementDraft, MeasurementForm } from "./measurement";
import { OutboxList } from "./outbox-list";
import { outbox } from "./state";

export function Register() {
  const { t, lang, profile, selected } = useApp();
  const [typeCode, setTypeCode] = useState<string | null>(null);
  const [formCode, setFormCode] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);
  const types = useMemo(() => sharedTypes(selected, profile.programmes), [selected, profile]);
  const type = types.find((candidate) => candidate.code === typeCode) ?? null;
  const single = selected.length === 1 ? selected[0] : null;
  const forms = single ? (profile.forms[single.id] ?? []) : [];
  const form = forms.find((candidate) => candidate.code === formCode) ?? null;
  const names = selected.map((p) => p.display_name).join(" + ");

  const save = async (draft: MeasurementDraft) => {
    const now = Date.now();
    await outbox.add(
      selected.map((patient) => {
        // Each child gets an item of its own, with its own id: "both twins" is two registrations.
        const id = crypto.randomUUID();
        return {
          id,
          kind: "measurement" as const,
          patientId: patient.id,
          body: { ...draft.body, id },
          savedAt: now,
          status: "pending" as const,
        };
      }),
    );
    setTypeCode(null);
    setSaved(t("savedFor", { names }));
  };

  return (
    <>
      <h1 class="for-whom" data-testid="for-whom">
        {t("registeringFor", { name: names })}
      </h1>
      {saved && (
        <p class="notice ok" role="status">
          {saved}
        </p>
      )}
      {form && single ? (
        <FormView
          form={form}
          patientId={single.id}
          onDone={() => {
            setFormCode(null);
            setSaved(t("savedFor", { names }));
          }}
          onCancel={() => setFormCode(null)}
        />
      ) : type ? (
        <MeasurementForm key={type.code} type={type} onSave={save} onCancel={() => setTypeCode(null)} />
      ) : (
        <>
          <h2>{t("whatToRegister")}</h2>
          <div class="tiles">
            {types.map((candidate: MeasurementType) => (
              <button
                key={candidate.code}
                type="button"
                class="tile"
                onClick={() => {
                  setSaved(null);
                  setTypeCode(candidate.code);
                }}
              >
                {local(candidate.display, lang)}
              </button>
            ))}
          </div>
          {forms.length > 0 && (
            <>
              <h2>{t("forms")}</h2>
              <div class="tiles">
                {forms.map((candidate) => (
                  <button
                    key={candidate.code}
                    type="button"
                    class="tile secondary"
                    onClick={() => {
                      setSaved(null);
                      setFormCode(candidate.code);
                    }}
                  >
                    {local(candidate.title, lang)}
                  </button>
                ))}
              </div>
            </>
          )}
          {single && <ContactRequest patientId={single.id} />}
        </>
      )}
      <OutboxList />
    </>
  );
}
