// The event timeline: one row per event, newest on top; a new event adds its row and nothing else.

import { getEvents } from "./api.js";
import { $, el, fill } from "./dom.js";
import { showMessage } from "./header.js";
import { classLabel, formatTime, formatValue, kindLabel, t, tOr } from "./i18n.js";
import {
  cameraName,
  data,
  on,
  placeName,
  replaceEvents,
  TIMELINE_LIMIT,
} from "./state.js";

const rows = new Map(); // event id -> <li> in #timeline
let empty = null; // the "no events yet" row, shown only while there are none

/** A row for `event`; also used by the evidence panel, whose rows the timeline does not track. */
export function createEventRow(event) {
  return fillEventRow(el("li", { dataset: { id: event.id } }), event);
}

function fillEventRow(row, event) {
  const details = [
    cameraName(event.camera_id),
    placeName(event.camera_id, event.zone_id || event.rule_id),
    classLabel(event.class_name),
  ];
  // What is particular to the kind travels in its typed payload (cctwin.messages).
  const payload = event.payload || {};
  if (payload.direction) details.push(tOr(`direction.${payload.direction}`, payload.direction));
  if (payload.level) details.push(tOr(`level.${payload.level}`, payload.level));
  if (payload.value !== undefined && payload.value !== null) {
    details.push(formatValue(payload.value));
  }
  if (payload.dwell_s !== undefined && payload.dwell_s !== null) {
    details.push(t("event.dwell", { value: Math.round(payload.dwell_s) }));
  }
  if (typeof event.confidence === "number") {
    details.push(t("event.confidence", { value: Math.round(event.confidence * 100) }));
  }
  const fresh = row.classList.contains("fresh");
  row.className = `event kind-${event.kind}${fresh ? " fresh" : ""}`;
  return fill(
    row,
    el("time", { datetime: event.occurred_at }, formatTime(event.occurred_at)),
    el("span", { className: "kind" }, kindLabel(event.kind)),
    el("span", { className: "details" }, details.filter(Boolean).join(" · ")),
  );
}

function showEmpty() {
  const list = $("#timeline");
  if (rows.size === 0) {
    empty = empty || el("li", { className: "placeholder" });
    empty.textContent = t("timeline.empty");
    list.append(empty);
  } else if (empty) {
    empty.remove();
  }
}

function onEvent({ event, dropped }) {
  const row = createEventRow(event);
  row.classList.add("fresh");
  rows.set(event.id, row);
  $("#timeline").prepend(row);
  for (const eventId of dropped) {
    rows.get(eventId)?.remove();
    rows.delete(eventId);
  }
  showEmpty();
}

// After a gap: keep the rows of events still listed (same nodes), add the missing ones.
function onEvents({ events }) {
  const keep = new Set(events.map((e) => e.id));
  for (const [eventId, row] of [...rows]) {
    if (keep.has(eventId)) continue;
    row.remove();
    rows.delete(eventId);
  }
  const ordered = events.map((event) => {
    if (!rows.has(event.id)) rows.set(event.id, createEventRow(event));
    return rows.get(event.id);
  });
  const list = $("#timeline");
  // Moving a node keeps it: only rows out of place are touched.
  ordered.forEach((row, index) => {
    if (list.children[index] !== row) list.insertBefore(row, list.children[index] || null);
  });
  showEmpty();
}

export async function loadEvents() {
  try {
    const page = await getEvents(TIMELINE_LIMIT);
    showMessage("#timeline-message", "");
    replaceEvents(page.items);
  } catch (error) {
    showMessage("#timeline-message", t("timeline.error", { detail: error.message }));
    showEmpty();
  }
}

/** Relabel every row in place for the new language. */
export function translateTimeline() {
  for (const event of data.events) {
    const row = rows.get(event.id);
    if (row) fillEventRow(row, event);
  }
  showEmpty();
}

export function startTimeline() {
  on("event", onEvent);
  on("events", onEvents);
}
