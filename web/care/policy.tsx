// A unit's notification policy (/care/units/{id}/notifications): what is in force in plain words,
// the form that changes it (policy-form.tsx) and its history. For the unit's clinicians and the
// administrators; any other unit answers 404 and the screen says only that it is not there.
import { useRef, useState } from "preact/hooks";
import type { Schemas } from "../shared/api";
import { type Lang, local } from "../shared/i18n";
import { PolicyForm } from "./policy-form";
import {
  type Clinician,
  complete,
  namesWords,
  policySummary,
  recipientsWords,
  staffedWords,
} from "./policy-words";
import { ApiError, api, formatTime, ok, useLoad, useT } from "./state";
import { ColumnHeads } from "./tables";

type PolicyOut = Schemas["NotificationPolicyOut"];

export function PolicyPage({ unitId, admin }: { unitId: string; admin: boolean }) {
  const { t } = useT();
  const path = { unit_id: unitId };
  const policy = useLoad(
    async () => ok(await api.GET("/api/v1/units/{unit_id}/notification-policy", { params: { path } })),
    [unitId],
  );
  const history = useLoad(
    async () =>
      ok(await api.GET("/api/v1/units/{unit_id}/notification-policy/history", { params: { path } })).items,
    [unitId],
  );
  const clinicians = useLoad(() => unitClinicians(unitId, admin), [unitId, admin]);
  const unitName = useLoad(() => nameOfUnit(unitId, admin), [unitId, admin]);
  // The PUT answers with the policy now in force: shown at once, the history read again.
  const [saved, setSaved] = useState<PolicyOut | null>(null);
  const inForce = useRef<HTMLHeadingElement>(null);

  if (policy.error instanceof ApiError && [403, 404].includes(policy.error.status))
    return <p>{t("notFound")}</p>;
  const current = saved ?? policy.data;
  const staff = clinicians.data ?? [];
  const title = unitName.data ? t("policyTitle", { unit: unitName.data }) : t("policyLinkShort");

  return (
    <section aria-labelledby="policy-title" class="policy">
      <h1 id="policy-title">{title}</h1>
      <p>{t("policyIntro")}</p>
      {policy.error && <p class="error">{t("error", { detail: policy.error.message })}</p>}
      {!current && !policy.error && <p>{t("loading")}</p>}
      {current && (
        <>
          <h2 id="policy-in-force" tabIndex={-1} ref={inForce}>
            {t("policyInForce")}
          </h2>
          <p role="status">{saved ? t("policySaved") : ""}</p>
          <InForce current={current} clinicians={staff} />
          <h2>{t("changePolicy")}</h2>
          <PolicyForm
            // A new policy in force starts the form again from it.
            key={current.set_at ?? "default"}
            unitId={unitId}
            current={current}
            clinicians={staff}
            onSaved={(answer) => {
              setSaved(answer);
              history.reload();
              inForce.current?.focus();
            }}
          />
          <h2>{t("policyHistory")}</h2>
          <History items={history.data} clinicians={staff} />
        </>
      )}
    </section>
  );
}

/** The policy in force, in the words a unit leader would use. */
function InForce({ current, clinicians }: { current: PolicyOut; clinicians: Clinician[] }) {
  const { t, lang } = useT();
  const p = complete(current.policy);
  const who = (r: Schemas["Recipients"]) => recipientsWords(r, p.on_call, clinicians, t);
  const timer = (severity: "high" | "medium") =>
    t("timerWords", {
      severity: t(severity),
      repeat: p[severity].repeat_minutes,
      escalate: p[severity].escalate_after_minutes,
    });
  return (
    <div class="in-force" data-source={current.source}>
      <p class="meta">
        {current.source === "unit"
          ? t("setBy", {
              who: current.set_by_name ?? "",
              when: formatTime(current.set_at, lang),
              reason: current.reason ?? "",
            })
          : t("builtInDefault")}
      </p>
      <dl class="answers">
        <dt>{t("staffedHours")}</dt>
        <dd data-policy="staffed">
          {staffedWords(p.staffed, t)} ({p.time_zone}){" "}
          <span class={`badge ${current.staffed_now ? "ok" : ""}`}>
            {current.staffed_now ? t("staffedNow") : t("closedNow")}
          </span>
        </dd>
        <dt>{t("onCallList")}</dt>
        <dd data-policy="on_call">{namesWords(p.on_call, clinicians, t)}</dd>
        <dt>{t("timers")}</dt>
        <dd data-policy="timers">
          {timer("high")}
          <br />
          {timer("medium")}
        </dd>
        <dt>{t("closedPhone")}</dt>
        <dd data-policy="phone">{p.phone ?? t("notGivenYet")}</dd>
        <dt>{t("contactWithin")}</dt>
        <dd data-policy="contact_within_hours">
          {current.contact_within_hours === null
            ? t("notGivenYet")
            : t("withinHours", { hours: current.contact_within_hours })}
        </dd>
      </dl>
      <table class="grid who">
        <caption>{t("whoIsTold")}</caption>
        <ColumnHeads columns={[t("severity"), t("inHours"), t("outOfHours")]} />
        <tbody>
          <tr data-severity="high">
            <th scope="row">{t("high")}</th>
            <td>{who(p.in_hours.high)}</td>
            <td>{who(p.out_of_hours.high)}</td>
          </tr>
          <tr data-severity="medium">
            <th scope="row">{t("medium")}</th>
            <td>{who(p.in_hours.medium)}</td>
            <td>{who(p.out_of_hours.medium)}</td>
          </tr>
          <tr data-severity="low">
            <th scope="row">{t("low")}</th>
            <td>{who(p.in_hours.low)}</td>
            <td>{t("waitsForDigest")}</td>
          </tr>
        </tbody>
      </table>
      <p class="meta">
        {t("highAtOnce")} {t("fallsBack")}
      </p>
      <h3>{t("familiesRead")}</h3>
      {current.promise ? (
        <FamiliesRead promise={current.promise} lang={lang} />
      ) : (
        <p data-policy="promise">{t("noPromise")}</p>
      )}
    </div>
  );
}

/** The sentences families read, in the reader's language first, then the other. */
function FamiliesRead({ promise, lang }: { promise: Schemas["LocalText"]; lang: Lang }) {
  const { t } = useT();
  const order: Lang[] = lang === "nb" ? ["nb", "en"] : ["en", "nb"];
  return (
    <dl class="answers promise" data-policy="promise">
      {order.map((language) => (
        <div key={language} class="contents">
          <dt>{language === "nb" ? t("bokmal") : t("english")}</dt>
          <dd lang={language}>
            <blockquote>{local(promise, language)}</blockquote>
          </dd>
        </div>
      ))}
    </dl>
  );
}

function History({
  items,
  clinicians,
}: {
  items: Schemas["NotificationPolicyChange"][] | undefined;
  clinicians: Clinician[];
}) {
  const { t, lang } = useT();
  if (!items) return <p>{t("loading")}</p>;
  if (items.length === 0) return <p>{t("noPolicyHistory")}</p>;
  return (
    <table class="grid policy-history">
      <ColumnHeads columns={[t("when"), t("who"), t("reason"), t("what"), t("inForceUntil")]} />
      <tbody>
        {items.map((change) => (
          <tr key={change.set_at}>
            <td>{formatTime(change.set_at, lang)}</td>
            <td>{change.set_by_name}</td>
            <td>{change.reason}</td>
            <td>{policySummary(change.policy, change.contact_within_hours, clinicians, t)}</td>
            <td>{change.superseded_at ? formatTime(change.superseded_at, lang) : t("inForceNow")}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Whom the on-call list may name: the unit's active clinicians. A clinician asks for the
 * colleagues of one of their units; an administrator reads the unit's staff. */
async function unitClinicians(unitId: string, admin: boolean): Promise<Clinician[]> {
  if (admin) {
    const staff = ok(await api.GET("/api/v1/users", { params: { query: { unit_id: unitId } } })).items;
    return staff
      .filter((s) => s.role === "clinician" && !s.disabled_at)
      .map((s) => ({ id: s.id, name: s.display_name, profession: s.profession }));
  }
  const colleagues = ok(
    await api.GET("/api/v1/colleagues", { params: { query: { unit_id: unitId } } }),
  ).items;
  return colleagues.map((c) => ({ id: c.id, name: c.display_name, profession: c.profession }));
}

/** The unit's name: among the clinician's own units, or the administrator's organisations. */
async function nameOfUnit(unitId: string, admin: boolean): Promise<string | null> {
  if (!admin) {
    const mine = ok(await api.GET("/api/v1/me/units")).items;
    return mine.find((u) => u.id === unitId)?.name ?? null;
  }
  for (const o of ok(await api.GET("/api/v1/organisations")).items) {
    const units = ok(
      await api.GET("/api/v1/organisations/{organisation_id}/units", {
        params: { path: { organisation_id: o.id } },
      }),
    ).items;
    const found = units.find((u) => u.id === unitId);
    if (found) return found.name;
  }
  return null;
}
