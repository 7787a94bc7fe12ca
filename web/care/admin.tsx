// Administration (administrators only; no clinical data): organisations, units (each with a link
// to its notification policy, policy.tsx), staff accounts (create, disable, units).
import { useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { CheckField, FormPanel, SelectField, TextField } from "./fields";
import { api, ok, onLink, useLoad, useT } from "./state";
import { ColumnHeads } from "./tables";

export function AdminPage() {
  const { t } = useT();
  const organisations = useLoad(async () => ok(await api.GET("/api/v1/organisations")).items, []);
  const units = useLoad(async () => {
    const all: (Schemas["Unit"] & { organisation: string })[] = [];
    for (const o of organisations.data ?? []) {
      const list = ok(
        await api.GET("/api/v1/organisations/{organisation_id}/units", {
          params: { path: { organisation_id: o.id } },
        }),
      );
      all.push(...list.items.map((u) => ({ ...u, organisation: o.name })));
    }
    return all;
  }, [organisations.data]);
  const staff = useLoad(async () => ok(await api.GET("/api/v1/users")).items, []);
  const [message, setMessage] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = async (work: () => Promise<unknown>, reload: () => void) => {
    setError(null);
    setMessage(null);
    try {
      await work();
      setMessage(t("saved"));
      reload();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <section aria-labelledby="admin-title">
      <h1 id="admin-title">{t("adminTitle")}</h1>
      <p role="status" class="meta">
        {message}
      </p>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <h2>{t("organisations")}</h2>
      <ul class="plain">
        {(organisations.data ?? []).map((o) => (
          <li key={o.id}>
            {o.name} <span class="meta">({o.kind === "hospital" ? t("hospital") : t("municipality")})</span>
            <ul>
              {(units.data ?? [])
                .filter((u) => u.organisation_id === o.id)
                .map((u) => (
                  <li key={u.id}>
                    {u.name}{" "}
                    <a
                      class="button secondary"
                      href={`/care/units/${u.id}/notifications`}
                      onClick={onLink}
                      aria-label={t("policyLinkFor", { unit: u.name })}
                    >
                      {t("policyLinkShort")}
                    </a>
                  </li>
                ))}
            </ul>
          </li>
        ))}
      </ul>
      <NewOrganisation
        onCreate={(body) =>
          run(async () => ok(await api.POST("/api/v1/organisations", { body })), organisations.reload)
        }
      />
      <NewUnit
        organisations={organisations.data ?? []}
        onCreate={(organisation_id, name) =>
          run(
            async () =>
              ok(
                await api.POST("/api/v1/organisations/{organisation_id}/units", {
                  params: { path: { organisation_id } },
                  body: { name },
                }),
              ),
            units.reload,
          )
        }
      />
      <h2>{t("staff")}</h2>
      <table class="grid">
        <ColumnHeads columns={[t("displayName"), t("role"), t("units"), t("status")]} />
        <tbody>
          {(staff.data ?? []).map((s) => (
            <StaffRow
              key={s.id}
              person={s}
              units={units.data ?? []}
              onSave={(body) =>
                run(
                  async () =>
                    ok(
                      await api.PATCH("/api/v1/users/{user_id}", {
                        params: { path: { user_id: s.id } },
                        body,
                      }),
                    ),
                  staff.reload,
                )
              }
            />
          ))}
        </tbody>
      </table>
      <NewStaff
        units={units.data ?? []}
        onCreate={(body) => run(async () => ok(await api.POST("/api/v1/users", { body })), staff.reload)}
      />
    </section>
  );
}

function NewOrganisation({ onCreate }: { onCreate: (body: Schemas["OrganisationCreate"]) => void }) {
  const { t } = useT();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<"hospital" | "municipality">("hospital");
  return (
    <FormPanel action={t("newOrganisation")} onSubmit={() => onCreate({ name, kind })}>
      <TextField label={t("name")} required maxLength={200} value={name} onValue={setName} />
      <SelectField label={t("kind")} value={kind} onValue={setKind}>
        <option value="hospital">{t("hospital")}</option>
        <option value="municipality">{t("municipality")}</option>
      </SelectField>
    </FormPanel>
  );
}

function NewUnit({
  organisations,
  onCreate,
}: {
  organisations: Schemas["Organisation"][];
  onCreate: (org: string, name: string) => void;
}) {
  const { t } = useT();
  const [organisation, setOrganisation] = useState("");
  const [name, setName] = useState("");
  return (
    <FormPanel
      action={t("newUnit")}
      onSubmit={() => onCreate(organisation || organisations[0]?.id || "", name)}
    >
      <SelectField label={t("organisations")} value={organisation} onValue={setOrganisation}>
        {organisations.map((o) => (
          <option key={o.id} value={o.id}>
            {o.name}
          </option>
        ))}
      </SelectField>
      <TextField label={t("name")} name="unit-name" required maxLength={200} value={name} onValue={setName} />
    </FormPanel>
  );
}

type Unit = Schemas["Unit"] & { organisation: string };

function UnitPicker({
  units,
  chosen,
  onChange,
  label,
}: {
  units: Unit[];
  chosen: string[];
  onChange: (ids: string[]) => void;
  label: string;
}) {
  return (
    <fieldset>
      <legend>{label}</legend>
      {units.map((u) => (
        <CheckField
          key={u.id}
          label={
            <>
              {u.organisation}: {u.name}
            </>
          }
          checked={chosen.includes(u.id)}
          onChecked={(checked) => onChange(checked ? [...chosen, u.id] : chosen.filter((id) => id !== u.id))}
        />
      ))}
    </fieldset>
  );
}

function StaffRow({
  person,
  units,
  onSave,
}: {
  person: Schemas["StaffUser"];
  units: Unit[];
  onSave: (body: Schemas["StaffUpdate"]) => void;
}) {
  const { t } = useT();
  const [editing, setEditing] = useState(false);
  const [chosen, setChosen] = useState<string[]>(person.unit_ids);
  const names = person.unit_ids.map((id) => units.find((u) => u.id === id)?.name ?? id).join(", ");
  return (
    <tr data-user={person.username}>
      <th scope="row">
        {person.display_name} <span class="meta">{person.username}</span>
      </th>
      <td>{person.role === "admin" ? t("admin") : `${t("clinician")} (${person.profession ?? ""})`}</td>
      <td>
        {names}
        {person.role === "clinician" && (
          <button
            type="button"
            class="secondary small"
            aria-expanded={editing}
            onClick={() => setEditing(!editing)}
          >
            {t("change")}
          </button>
        )}
        {editing && (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              onSave({ unit_ids: chosen });
              setEditing(false);
            }}
          >
            <UnitPicker units={units} chosen={chosen} onChange={setChosen} label={t("units")} />
            <button type="submit">{t("saveUnits")}</button>
          </form>
        )}
      </td>
      <td>
        {person.disabled_at ? t("disabled") : ""}{" "}
        <button
          type="button"
          class="secondary small"
          onClick={() => onSave({ disabled: !person.disabled_at })}
        >
          {person.disabled_at ? t("enable") : t("disable")}
        </button>
      </td>
    </tr>
  );
}

function NewStaff({ units, onCreate }: { units: Unit[]; onCreate: (body: Schemas["UserCreate"]) => void }) {
  const { t } = useT();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [role, setRole] = useState<"clinician" | "admin">("clinician");
  const [profession, setProfession] = useState<"nurse" | "physician">("nurse");
  const [chosen, setChosen] = useState<string[]>([]);
  return (
    <FormPanel
      action={t("newStaff")}
      onSubmit={() =>
        onCreate(
          role === "clinician"
            ? { username, password, display_name: displayName, role, profession, unit_ids: chosen }
            : { username, password, display_name: displayName, role },
        )
      }
    >
      <TextField
        label={t("username")}
        name="new-username"
        required
        minLength={3}
        value={username}
        onValue={setUsername}
      />
      <TextField
        label={t("password")}
        name="new-password"
        type="password"
        autoComplete="new-password"
        required
        minLength={12}
        value={password}
        onValue={setPassword}
      />
      <TextField
        label={t("displayName")}
        name="new-display-name"
        required
        value={displayName}
        onValue={setDisplayName}
      />
      <SelectField label={t("role")} value={role} onValue={setRole}>
        <option value="clinician">{t("clinician")}</option>
        <option value="admin">{t("admin")}</option>
      </SelectField>
      {role === "clinician" && (
        <>
          <SelectField label={t("profession")} value={profession} onValue={setProfession}>
            <option value="nurse">{t("nurse")}</option>
            <option value="physician">{t("physician")}</option>
          </SelectField>
          <UnitPicker units={units} chosen={chosen} onChange={setChosen} label={t("units")} />
        </>
      )}
    </FormPanel>
  );
}
