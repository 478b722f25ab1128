// Unmasking on the evidence panel: for users with the unmask right, a reasoned, expiring grant
// to see the selected alert's camera unmasked (POST /api/privacy/unmask; audited server-side).

import { createUnmask, endUnmask, getMe, getUnmaskGrants } from "./api.js";
import { el } from "./dom.js";
import { formatTime, t } from "./i18n.js";

let me = null; // GET /api/auth/me
let grants = []; // the caller's own grants in force
let expiryTimer = null;
let redraw = () => {};

const mine = (grant) => me && grant.grantee === `${me.kind}:${me.name}`;

/** Learn the caller's rights and grants; `onChange` redraws the panel when a grant starts or ends. */
export async function startUnmask(onChange) {
  redraw = onChange;
  try {
    me = await getMe();
  } catch {
    me = null; // no unmask button then; the rest of the panel works without it
  }
  await refreshGrants();
}

async function refreshGrants() {
  if (!me || !me.permissions.includes("unmask")) return;
  try {
    grants = (await getUnmaskGrants()).filter(mine);
  } catch {
    grants = [];
  }
  clearTimeout(expiryTimer);
  const next = Math.min(...grants.map((g) => Date.parse(g.expires_at)));
  if (Number.isFinite(next)) expiryTimer = setTimeout(refreshAndRedraw, Math.max(next - Date.now(), 0) + 500);
}

async function refreshAndRedraw() {
  await refreshGrants();
  redraw();
}

/** The caller's grant covering `cameraId` now, or undefined. */
export function grantFor(cameraId) {
  return grants.find((g) => g.cameras.includes(cameraId) && Date.parse(g.expires_at) > Date.now());
}

/** A media URL that changes with the grant, so the browser fetches the unmasked file anew. */
export function withGrant(url, cameraId) {
  const grant = grantFor(cameraId);
  return grant && url ? `${url}${url.includes("?") ? "&" : "?"}unmask=${grant.id}` : url;
}

/** The unmask button (or the expiry and an end button) for an alert's camera; null without the right. */
export function unmaskControl(cameraId) {
  if (!me || !me.permissions.includes("unmask")) return null;
  const grant = grantFor(cameraId);
  if (grant) {
    return el(
      "div",
      { className: "unmask active" },
      el("span", {}, t("unmask.until", { time: formatTime(grant.expires_at) })),
      el("button", { type: "button", onclick: () => end(grant.id) }, t("unmask.end")),
    );
  }
  return el(
    "div",
    { className: "unmask" },
    el("button", { type: "button", onclick: () => ask(cameraId) }, t("unmask.button")),
  );
}

async function ask(cameraId) {
  const reason = window.prompt(t("unmask.reason_prompt"));
  if (reason === null) return;
  try {
    await createUnmask([cameraId], reason.trim(), 15);
  } catch (error) {
    window.alert(t("unmask.error", { detail: error.message }));
    return;
  }
  await refreshAndRedraw();
}

async function end(grantId) {
  try {
    await endUnmask(grantId);
  } catch (error) {
    window.alert(t("unmask.error", { detail: error.message }));
  }
  await refreshAndRedraw();
}
