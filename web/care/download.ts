// Files the API makes (the FHIR export, the report's CSV), saved by the browser.
import { session } from "./state";

/** Fetches `path` with the session's bearer token and hands the answer to the browser as a file.
 * A bearer token cannot ride on a plain link, and this way no token or patient id stands in a
 * link a proxy might log. An answer that is not 2xx saves nothing. */
export async function download(path: string, filename: string, accept?: string): Promise<void> {
  const response = await fetch(path, {
    headers: { ...(accept ? { Accept: accept } : {}), Authorization: `Bearer ${session.accessToken ?? ""}` },
  });
  if (!response.ok) return;
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
}
