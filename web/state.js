// What the dashboard knows (cameras, alerts, events, observations) and who to tell when it changes.
// Views never rebuild from scratch on a change: each topic names the one item that changed, so a
// view patches that item's element. Views keep their own elements; this module keeps the data.

export const OPEN_STATUSES = ["new", "acknowledged", "escalated"];
export const TIMELINE_LIMIT = 50;
const SEVERITY_RANK = { critical: 4, high: 3, medium: 2, low: 1, informational: 0 };

export const data = {
  site: null,
  cameras: new Map(), // id -> camera JSON from /api/cameras (and SSE `camera`)
  observations: new Map(), // camera id -> Map(rule/kind -> observation)
  positions: new Map(), // camera id -> ObjectPositions (SSE `positions`, GET /api/positions)
  alerts: new Map(), // id -> open alert
  events: [], // newest first, at most TIMELINE_LIMIT
  selectedAlertId: null,
  camerasGeojson: { type: "FeatureCollection", features: [] },
};

// Newest updated_at seen per alert, open or closed: an SSE message can beat a slower fetch.
const alertVersions = new Map();
const listeners = new Map(); // topic -> Set(listener)

/**
 * Topics and their payloads:
 *   alert {alert, open}           one alert opened, changed or closed
 *   selection {previous, current} the operator picked another alert
 *   event {event, dropped}        one new event; `dropped` fell off the end of the timeline
 *   events {events}               the timeline was reloaded (after a gap in the stream)
 *   camera {camera, added, stateChanged}
 *   observation {cameraId}
 *   focus-camera {cameraId, popup} show a camera on the map
 */
export function on(topic, listener) {
  if (!listeners.has(topic)) listeners.set(topic, new Set());
  listeners.get(topic).add(listener);
}

export function emit(topic, payload) {
  for (const listener of listeners.get(topic) || []) listener(payload);
}

export function cameraName(cameraId) {
  return data.cameras.get(cameraId)?.name || cameraId;
}

// Zones and lines are named per camera; an unnamed one shows its id.
export function placeName(cameraId, placeId) {
  if (!placeId) return placeId;
  return data.cameras.get(cameraId)?.place_names?.[placeId] || placeId;
}

export function cameraFeature(cameraId) {
  return data.camerasGeojson.features.find(
    (f) => f.properties.kind === "camera" && f.properties.camera_id === cameraId,
  );
}

// --- alerts ------------------------------------------------------------------------------------

/** Newest first; at the same time the more severe one first. */
export function compareAlerts(a, b) {
  const byTime = Date.parse(b.opened_at) - Date.parse(a.opened_at);
  return byTime || (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0);
}

function isFresh(alert) {
  const seen = alertVersions.get(alert.id);
  const version = Date.parse(alert.updated_at) || 0;
  if (seen !== undefined && seen > version) return false;
  alertVersions.set(alert.id, version);
  return true;
}

/** One alert from SSE, a transition or a fetch; closed alerts leave the open set. */
export function upsertAlert(alert) {
  if (!isFresh(alert)) return;
  const open = OPEN_STATUSES.includes(alert.status);
  if (open) data.alerts.set(alert.id, alert);
  else if (!data.alerts.delete(alert.id)) return; // closed and never shown: nothing to tell
  emit("alert", { alert, open });
}

/** The open alerts as listed by the API: each difference is told as one alert change. */
export function replaceAlerts(alerts) {
  const listed = new Set(alerts.map((a) => a.id));
  for (const [alertId, alert] of [...data.alerts]) {
    if (listed.has(alertId)) continue;
    data.alerts.delete(alertId);
    emit("alert", { alert, open: false });
  }
  for (const alert of alerts) {
    const known = data.alerts.get(alert.id);
    if (known && known.updated_at === alert.updated_at) continue; // unchanged: leave its card be
    upsertAlert(alert);
  }
}

export function selectAlert(alertId) {
  const previous = data.selectedAlertId;
  data.selectedAlertId = alertId;
  emit("selection", { previous, current: alertId });
}

// --- events ------------------------------------------------------------------------------------

export function addEvent(event) {
  if (data.events.some((e) => e.id === event.id)) return;
  data.events.unshift(event);
  const dropped = data.events.splice(TIMELINE_LIMIT).map((e) => e.id);
  emit("event", { event, dropped });
}

export function replaceEvents(events) {
  data.events = events.slice(0, TIMELINE_LIMIT);
  emit("events", { events: data.events });
}

// --- cameras -----------------------------------------------------------------------------------

export function upsertCamera(camera) {
  const previous = data.cameras.get(camera.id);
  data.cameras.set(camera.id, { ...(previous || {}), ...camera });
  emit("camera", {
    camera: data.cameras.get(camera.id),
    added: !previous,
    stateChanged: !previous || previous.state !== camera.state,
  });
}

/** A camera's tracked objects as last analysed (replaces the camera's previous frame). */
export function rememberPositions(positions) {
  data.positions.set(positions.camera_id, positions);
  emit("positions", { cameraId: positions.camera_id });
}

export function rememberObservation(observation) {
  const perCamera = data.observations.get(observation.camera_id) || new Map();
  perCamera.set(`${observation.rule_id}/${observation.kind}`, observation);
  data.observations.set(observation.camera_id, perCamera);
  emit("observation", { cameraId: observation.camera_id });
}
