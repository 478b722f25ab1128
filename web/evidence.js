// The evidence panel beside the queue: the selected alert's snapshot, clip, events and notes.

import { getAlert } from "./api.js";
import { $, el, fill } from "./dom.js";
import { alertTitle } from "./alerts.js";
import { formatTime, t } from "./i18n.js";
import { data, on } from "./state.js";
import { createEventRow } from "./timeline.js";
import { startUnmask, unmaskControl, withGrant } from "./unmask.js";

let detail = null; // GET /api/alerts/{id} of the selected alert

async function loadEvidence(alertId) {
  try {
    const loaded = await getAlert(alertId);
    if (data.selectedAlertId !== alertId) return; // the operator moved on meanwhile
    detail = loaded;
  } catch (error) {
    if (data.selectedAlertId !== alertId) return;
    detail = null;
    const message = t("evidence.error", { detail: error.message });
    fill($("#evidence-body"), el("p", { className: "message" }, message));
    return;
  }
  renderEvidence();
}

// One alert's evidence is small and changes rarely: it is drawn whole, on selection or change.
export function renderEvidence() {
  const body = $("#evidence-body");
  if (!detail) {
    fill(body, el("p", { className: "placeholder" }, t("evidence.none")));
    return;
  }
  const snapshot = detail.snapshot_url
    ? el("img", {
        className: "snapshot",
        src: withGrant(detail.snapshot_url, detail.camera_id),
        alt: t("evidence.snapshot"),
      })
    : el("div", { className: "snapshot none" }, t("evidence.no_snapshot"));
  const events = el("ol", { className: "evidence-events" }, ...(detail.events || []).map(createEventRow));
  const notes = (detail.notes || []).length
    ? el(
        "div",
        { className: "notes" },
        el("h4", {}, t("evidence.notes")),
        el(
          "ul",
          {},
          ...detail.notes.map((n) => el("li", {}, `${formatTime(n.written_at)} ${n.author}: ${n.text}`)),
        ),
      )
    : null;
  // The event clip: the camera's own packets around the event, cut without re-encoding.
  const clip = detail.clip_url
    ? el("video", {
        className: "clip",
        src: withGrant(detail.clip_url, detail.camera_id),
        controls: true,
        muted: true,
        preload: "metadata",
      })
    : null;
  fill(
    body,
    el("div", { className: "evidence-title" }, alertTitle(detail)),
    snapshot,
    unmaskControl(detail.camera_id),
    clip,
    el("h4", {}, t("evidence.events", { count: (detail.events || []).length })),
    events,
    notes,
  );
}

export function startEvidence() {
  startUnmask(renderEvidence);
  on("selection", ({ current }) => loadEvidence(current));
  on("alert", ({ alert }) => {
    if (alert.id === data.selectedAlertId) loadEvidence(alert.id);
  });
}
