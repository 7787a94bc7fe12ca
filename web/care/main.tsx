// The care app's entry point: a placeholder that proves the shared build, serving and API layer
// work for this app too. The care app replaces it.
import { render } from "preact";
import "../shared/base.css";
import { type Lang, setLang, useLang } from "../shared/i18n";

function Placeholder() {
  const lang = useLang();
  const other: Lang = lang === "nb" ? "en" : "nb";
  return (
    <main class="page">
      <h1>{lang === "nb" ? "Heima for helsepersonell" : "Heima for clinicians"}</h1>
      <p>{lang === "nb" ? "Denne appen er under arbeid." : "This app is being built."}</p>
      <button type="button" onClick={() => setLang(other)}>
        {other === "nb" ? "Norsk (bokmål)" : "English"}
      </button>
    </main>
  );
}

const root = document.getElementById("root");
if (root) render(<Placeholder />, root);
