import { render } from "preact";
import "../shared/base.css";

function Starting() {
  return (
    <main class="page">
      <h1>Heima</h1>
    </main>
  );
}

if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" });
const root = document.getElementById("root");
if (root) render(<Starting />, root);
