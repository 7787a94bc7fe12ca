// Administration (administrators only; no clinical data): organisations, units, staff accounts
// (create, disable, units).
import { useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { api, ok, useLoad, useT } from "./state";

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
                  <li key={u.id}>{u.name}</li>
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
        <thead>
          <tr>
            <th scope="col">{t("displayName")}</th>
            <th scope="col">{t("role")}</th>
            <th scope="col">{t("units")}</th>
            <th scope="col">{t("status")}</th>
          </tr>
        </thead>
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
    <details class="panel">
      <summary>{t("newOrganisation")}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onCreate({ name, kind });
        }}
      >
        <label>
          {t("name")}
          <input
            required
            maxLength={200}
            value={name}
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          {t("kind")}
          <select
            value={kind}
            onChange={(e) => setKind((e.target as HTMLSelectElement).value as "hospital" | "municipality")}
          >
            <option value="hospital">{t("hospital")}</option>
            <option value="municipality">{t("municipality")}</option>
          </select>
        </label>
        <button type="submit">{t("newOrganisation")}</button>
      </form>
    </details>
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
    <details class="panel">
      <summary>{t("newUnit")}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onCreate(organisation || organisations[0]?.id || "", name);
        }}
      >
        <label>
          {t("organisations")}
          <select
            value={organisation}
            onChange={(e) => setOrganisation((e.target as HTMLSelectElement).value)}
          >
            {organisations.map((o) => (
              <option key={o.id} value={o.id}>
                {o.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("name")}
          <input
            name="unit-name"
            required
            maxLength={200}
            value={name}
            onInput={(e) => setName((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">{t("newUnit")}</button>
      </form>
    </details>
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
        <label key={u.id} class="check">
          <input
            type="checkbox"
            checked={chosen.includes(u.id)}
            onChange={(e) =>
              onChange(
                (e.target as HTMLInputElement).checked
                  ? [...chosen, u.id]
                  : chosen.filter((id) => id !== u.id),
              )
            }
          />{" "}
          {u.organisation}: {u.name}
        </label>
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
    <details class="panel">
      <summary>{t("newStaff")}</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onCreate(
            role === "clinician"
              ? { username, password, display_name: displayName, role, profession, unit_ids: chosen }
              : { username, password, display_name: displayName, role },
          );
        }}
      >
        <label>
          {t("username")}
          <input
            name="new-username"
            required
            minLength={3}
            value={username}
            onInput={(e) => setUsername((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          {t("password")}
          <input
            name="new-password"
            type="password"
            autoComplete="new-password"
            required
            minLength={12}
            value={password}
            onInput={(e) => setPassword((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          {t("displayName")}
          <input
            name="new-display-name"
            required
            value={displayName}
            onInput={(e) => setDisplayName((e.target as HTMLInputElement).value)}
          />
        </label>
        <label>
          {t("role")}
          <select
            value={role}
            onChange={(e) => setRole((e.target as HTMLSelectElement).value as "clinician" | "admin")}
          >
            <option value="clinician">{t("clinician")}</option>
            <option value="admin">{t("admin")}</option>
          </select>
        </label>
        {role === "clinician" && (
          <>
            <label>
              {t("profession")}
              <select
                value={profession}
                onChange={(e) =>
                  setProfession((e.target as HTMLSelectElement).value as "nurse" | "physician")
                }
              >
                <option value="nurse">{t("nurse")}</option>
                <option value="physician">{t("physician")}</option>
              </select>
            </label>
            <UnitPicker units={units} chosen={chosen} onChange={setChosen} label={t("units")} />
          </>
        )}
        <button type="submit">{t("newStaff")}</button>
      </form>
    </details>
  );
}
