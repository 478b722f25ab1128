// The alert queue: one card per open alert, patched in place when that alert changes.

import { getAlert, getAlerts, transitionAlert } from "./api.js";
import { $, el, fill } from "./dom.js";
import { showMessage, toast } from "./header.js";
import { classLabel, formatTime, getLanguage, t } from "./i18n.js";
import {
  cameraName,
  compareAlerts,
  data,
  emit,
  on,
  OPEN_STATUSES,
  placeName,
  replaceAlerts,
  selectAlert,
  upsertAlert,
} from "./state.js";

const ACTIONS = ["acknowledged", "escalated", "resolved", "dismissed"];
const cards = new Map(); // alert id -> <li class="alert-card">
let empty = null; // the "no open alerts" item, shown only while there are none

export function alertTitle(alert) {
  const localised = getLanguage() === "en" ? alert.title_en : alert.title_ko;
  return localised || alert.title || alert.id;
}

function createCard(alertId) {
  const card = el("li", {
    tabindex: "0",
    onclick: () => selectAlert(alertId),
    onkeydown: (event) => {
      if (event.key === "Enter") selectAlert(alertId);
    },
  });
  card.append(
    el(
      "div",
      { className: "card-head" },
      el("span", { className: "severity" }),
      el("span", { className: "status" }),
      el("time", { className: "when" }),
    ),
    el("div", { className: "title" }),
    el("div", { className: "meta" }),
    el("div", { className: "actions" }),
  );
  return card;
}

/** Write `alert` into its card's existing elements; the card itself is never replaced. */
function fillCard(card, alert) {
  const selected = alert.id === data.selectedAlertId;
  const classes = ["alert-card", `severity-${alert.severity}`, `status-${alert.status}`];
  card.className = (selected ? [...classes, "selected"] : classes).join(" ");
  Object.assign(card.dataset, { id: alert.id, status: alert.status, severity: alert.severity });
  card.setAttribute("aria-selected", String(selected));
  card.querySelector(".severity").textContent = t(`severity.${alert.severity}`);
  card.querySelector(".status").textContent = t(`status.${alert.status}`);
  const when = card.querySelector(".when");
  when.dateTime = alert.opened_at;
  when.textContent = formatTime(alert.opened_at, { withDate: true });
  card.querySelector(".title").textContent = alertTitle(alert);
  const where = [cameraName(alert.camera_id), placeName(alert.camera_id, alert.zone_id)]
    .filter(Boolean)
    .join(" · ");
  fill(
    card.querySelector(".meta"),
    el("span", { className: "label" }, t("alerts.camera")),
    " ",
    where,
    alert.class_name ? ` · ${classLabel(alert.class_name)}` : "",
    alert.event_ids.length > 1 ? ` · ×${alert.event_ids.length}` : "",
  );
  fill(
    card.querySelector(".actions"),
    ACTIONS.filter((target) => alert.allowed_transitions.includes(target)).map((target) =>
      el(
        "button",
        {
          type: "button",
          className: `action action-${target}`,
          dataset: { to: target },
          onclick: (event) => {
            event.stopPropagation();
            transition(alert.id, target, event.currentTarget);
          },
        },
        t(`action.${target}`),
      ),
    ),
  );
}

/** Put `card` where the sort order wants it, moving it only when it is out of place. */
function place(card, alert) {
  const list = $("#alert-list");
  let before = null;
  // The list is kept sorted: the first card that sorts after this one is where it belongs.
  for (const other of list.children) {
    if (other === card || !other.dataset.id) continue;
    const otherAlert = data.alerts.get(other.dataset.id);
    if (otherAlert && compareAlerts(alert, otherAlert) < 0) {
      before = other;
      break;
    }
  }
  // With nothing after it, the card goes last but above the placeholder.
  const anchor = before || (empty && empty.isConnected ? empty : null);
  if (card.nextElementSibling !== anchor || !card.isConnected) list.insertBefore(card, anchor);
}

function renderCount() {
  $("#alert-count").textContent = t("alerts.count", { count: cards.size });
  const list = $("#alert-list");
  if (cards.size === 0) {
    empty = empty || el("li", { className: "placeholder" });
    empty.textContent = t("alerts.empty");
    list.append(empty);
  } else if (empty) {
    empty.remove();
  }
}

function onAlert({ alert, open }) {
  let card = cards.get(alert.id);
  if (!open) {
    card?.remove();
    cards.delete(alert.id);
  } else {
    if (!card) {
      card = createCard(alert.id);
      cards.set(alert.id, card);
    }
    fillCard(card, alert);
    place(card, alert);
  }
  renderCount();
}

function onSelection({ previous, current }) {
  for (const alertId of [previous, current]) {
    const alert = data.alerts.get(alertId);
    if (alert && cards.has(alertId)) fillCard(cards.get(alertId), alert);
  }
  const alert = data.alerts.get(current);
  if (alert) emit("focus-camera", { cameraId: alert.camera_id, popup: false });
}

export async function loadAlerts() {
  try {
    const page = await getAlerts(OPEN_STATUSES, 200);
    showMessage("#alerts-message", "");
    replaceAlerts(page.items);
  } catch (error) {
    showMessage("#alerts-message", t("alerts.error", { detail: error.message }));
  }
  renderCount();
}

async function transition(alertId, to, button) {
  if (button) button.disabled = true;
  try {
    upsertAlert(await transitionAlert(alertId, to));
  } catch (error) {
    toast(t("alerts.transition.failed", { detail: error.message }));
    if (error.status === 409) {
      // Someone else moved it first: show what it is now.
      try {
        upsertAlert(await getAlert(alertId));
      } catch {
        // keep the card as it was; the next SSE message corrects it
      }
    }
    if (button) button.disabled = false;
  }
}

/** Relabel every card in place for the new language. */
export function translateAlerts() {
  for (const [alertId, card] of cards) fillCard(card, data.alerts.get(alertId));
  renderCount();
}

export function startAlerts() {
  on("alert", onAlert);
  on("selection", onSelection);
  renderCount();
}
