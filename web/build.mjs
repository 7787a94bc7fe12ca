// Builds each app into dist/<app>/ with Vite: `node build.mjs` (all), `node build.mjs family`.
// One small script instead of a Vite config per app: the apps differ only in their folder and the
// path `heima serve` mounts them at. A service worker (`<app>/sw.ts`) is built beside the page as
// `sw.js`, unhashed, since its URL is its identity and its scope.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const here = dirname(fileURLToPath(import.meta.url));
const apps = { family: "/app/", care: "/care/" };
const wanted = process.argv.slice(2);

for (const [name, base] of Object.entries(apps)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const root = resolve(here, name);
  const input = { index: resolve(root, "index.html") };
  if (existsSync(resolve(root, "sw.ts"))) input.sw = resolve(root, "sw.ts");
  await build({
    configFile: false,
    root,
    base,
    logLevel: "warn",
    esbuild: { jsx: "automatic", jsxImportSource: "preact" },
    build: {
      outDir: resolve(here, "dist", name),
      emptyOutDir: true,
      target: "es2020",
      // The polyfill is an inline script; the pages' Content-Security-Policy allows none.
      modulePreload: { polyfill: false },
      rollupOptions: {
        input,
        output: {
          entryFileNames: (chunk) => (chunk.name === "sw" ? "sw.js" : "assets/[name]-[hash].js"),
        },
      },
    },
  });
  console.log(`built ${name} → dist/${name} (served at ${base})`);
}
