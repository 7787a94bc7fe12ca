// The family app's entry point: the service worker (offline shell, pushes) and the app.
import { render } from "preact";
import "../shared/base.css";
import "./family.css";
import { App } from "./app";

if ("serviceWorker" in navigator) {
  // The app works without it (online); failing to register must not stop the page.
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch(() => undefined);
}
const root = document.getElementById("root");
if (root) render(<App />, root);
