// The cctwin dashboard: map of the district, alert queue with evidence, video wall, event timeline.
// Plain ES module, no build step; MapLibre comes from web/vendor (`make web`), never a CDN.

import * as maplibregl from "./vendor/maplibre-gl.mjs";
import {
  applyTranslations,
  formatClock,
  formatTime,
  getLanguage,
  hasStoredLanguage,
  onLanguageChange,
  setLanguage,
  t,
  tOr,
} from "./i18n.js";

const OPEN_STATUSES = ["new", "acknowledged", "escalated"];
const TIMELINE_LIMIT = 50;
const TILE_REFRESH_MS = 1000;
const STATE_COLOURS = {
  online: "#3ddc84",
  reconnecting: "#f5a623",
  offline: "#ff4d5e",
  starting: "#8a97ad",
};
const SEVERITY_RANK = { critical: 4, high: 3, medium: 2, low: 1, informational: 0 };
const EMPTY_COLLECTION = { type: "FeatureCollection", features: [] };

const state = {
  site: null,
  map: null,
  mapReady: false,
  cameras: new Map(), // id -> camera JSON from /api/cameras (and SSE `camera`)
  alerts: new Map(), // id -> open alert
  alertVersions: new Map(), // id -> newest updated_at seen, open or closed (drops stale copies)
  events: [], // newest first, at most TIMELINE_LIMIT
  observations: new Map(), // camera id -> Map(rule/kind -> observation)
  selectedAlertId: null,
  selectedDetail: null,
  popup: null,
  popupCameraId: null,
  stream: null,
  camerasGeojson: EMPTY_COLLECTION,
};

const $ = (selector) => document.querySelector(selector);

// --- small helpers ---------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers: { Accept: "application/json", ...(options.headers || {}) },
  });
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && body.detail !== undefined) {
        detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      }
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, detail);
  }
  return response.json();
}

/** Build an element; children are nodes or strings (always text, never parsed as HTML). */
function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "className") element.className = value;
    else if (name === "dataset") Object.assign(element.dataset, value);
    else if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

function cameraName(cameraId) {
  return state.cameras.get(cameraId)?.name || cameraId;
}

// Zones and lines are named per camera; an unnamed one shows its id.
function placeName(cameraId, placeId) {
  if (!placeId) return placeId;
  return state.cameras.get(cameraId)?.place_names?.[placeId] || placeId;
}

function alertTitle(alert) {
  const localised = getLanguage() === "en" ? alert.title_en : alert.title_ko;
  return localised || alert.title || alert.id;
}

function kindLabel(kind) {
  return tOr(`kind.${kind}`, kind);
}

function classLabel(name) {
  return name ? tOr(`class.${name}`, name) : "";
}

let toastTimer = null;
function toast(message) {
  const box = $("#toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, 6000);
}

function showMessage(selector, text) {
  const box = $(selector);
  box.textContent = text || "";
  box.hidden = !text;
}

// --- header ----------------------------------------------------------------------------------

function tickClock() {
  const now = new Date();
  const clock = $("#clock");
  clock.textContent = formatClock(now);
  clock.dateTime = now.toISOString();
}

function setConnection(connection) {
  $("#connection").dataset.state = connection;
  $("#connection-label").textContent = t(`conn.${connection}`);
}

function renderLanguageButtons() {
  for (const button of document.querySelectorAll("[data-lang]")) {
    const active = button.dataset.lang === getLanguage();
    button.classList.toggle("active", active);
    button.setAttribute("aria-pressed", String(active));
  }
}

// --- map -------------------------------------------------------------------------------------

function stateColourExpression() {
  return [
    "match",
    ["get", "state"],
    "online",
    STATE_COLOURS.online,
    "reconnecting",
    STATE_COLOURS.reconnecting,
    "offline",
    STATE_COLOURS.offline,
    STATE_COLOURS.starting,
  ];
}

function createMap(site) {
  // No basemap tiles (offline, and no licence to ship): a dark background and our own layers.
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#0a1018" } }],
  };
  const map = new maplibregl.Map({
    container: "map",
    style,
    center: site.center,
    zoom: site.zoom,
    attributionControl: false,
    locale: mapLocale(),
    // Keeps the canvas readable by screenshots and tests; the cost is negligible here.
    canvasContextAttributes: { preserveDrawingBuffer: true },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: true }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  return map;
}

// MapLibre's own control labels (tooltips, screen readers), in the operator's language.
function mapLocale() {
  return {
    "NavigationControl.ZoomIn": t("map.zoom_in"),
    "NavigationControl.ZoomOut": t("map.zoom_out"),
    "NavigationControl.ResetBearing": t("map.reset_bearing"),
    "Popup.Close": t("common.close"),
  };
}

function translateMapControls() {
  // MapLibre reads its locale once, when a control is built; relabel the live buttons.
  const labels = {
    ".maplibregl-ctrl-zoom-in": t("map.zoom_in"),
    ".maplibregl-ctrl-zoom-out": t("map.zoom_out"),
    ".maplibregl-ctrl-compass": t("map.reset_bearing"),
    ".maplibregl-popup-close-button": t("common.close"),
  };
  for (const [selector, label] of Object.entries(labels)) {
    for (const button of document.querySelectorAll(selector)) {
      button.title = label;
      button.setAttribute("aria-label", label);
    }
  }
}

function whenLoaded(map) {
  return new Promise((resolve) => {
    if (map.loaded()) resolve();
    else map.once("load", resolve);
  });
}

function addMapLayers(map, district) {
  map.addSource("district", { type: "geojson", data: district });
  map.addLayer({
    id: "district-fill",
    type: "fill",
    source: "district",
    paint: { "fill-color": "#1d4f7a", "fill-opacity": 0.28 },
  });
  map.addLayer({
    id: "district-line",
    type: "line",
    source: "district",
    paint: { "line-color": "#5fa8e8", "line-width": 2.5 },
  });

  map.addSource("cameras", { type: "geojson", data: state.camerasGeojson });
  map.addLayer({
    id: "camera-fov",
    type: "fill",
    source: "cameras",
    filter: ["==", ["get", "kind"], "fov"],
    paint: { "fill-color": stateColourExpression(), "fill-opacity": 0.16 },
  });
  map.addLayer({
    id: "camera-fov-line",
    type: "line",
    source: "cameras",
    filter: ["==", ["get", "kind"], "fov"],
    paint: { "line-color": stateColourExpression(), "line-opacity": 0.6, "line-width": 1 },
  });
  map.addLayer({
    id: "camera-selected",
    type: "circle",
    source: "cameras",
    filter: ["all", ["==", ["get", "kind"], "camera"], ["==", ["get", "camera_id"], ""]],
    paint: {
      "circle-radius": 15,
      "circle-color": "rgba(0,0,0,0)",
      "circle-stroke-color": "#ffd84d",
      "circle-stroke-width": 3,
    },
  });
  map.addLayer({
    id: "camera-point",
    type: "circle",
    source: "cameras",
    filter: ["==", ["get", "kind"], "camera"],
    paint: {
      "circle-radius": 7,
      "circle-color": stateColourExpression(),
      "circle-stroke-color": "#0a1018",
      "circle-stroke-width": 2,
    },
  });

  map.on("click", "camera-point", (event) => {
    const feature = event.features && event.features[0];
    if (feature) openCameraPopup(feature.properties.camera_id);
  });
  map.on("mouseenter", "camera-point", () => {
    map.getCanvas().style.cursor = "pointer";
  });
  map.on("mouseleave", "camera-point", () => {
    map.getCanvas().style.cursor = "";
  });
}

async function addSiteLayers(map, layers) {
  const toggles = $("#layer-toggles");
  toggles.replaceChildren();
  for (const layer of layers) {
    let data;
    try {
      data = await api(`/api/site/layers/${encodeURIComponent(layer.id)}.geojson`);
    } catch (error) {
      toast(`${layer.name}: ${error.message}`);
      continue;
    }
    const source = `layer-${layer.id}`;
    map.addSource(source, { type: "geojson", data });
    // One GeoJSON file may mix polygons, lines and points; each gets its own style.
    const ids = [`${source}-fill`, `${source}-line`, `${source}-point`];
    const polygon = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
    const point = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];
    map.addLayer(
      {
        id: ids[0],
        type: "fill",
        source,
        filter: polygon,
        paint: { "fill-color": layer.color, "fill-opacity": 0.25 },
      },
      "camera-fov",
    );
    map.addLayer(
      {
        id: ids[1],
        type: "line",
        source,
        filter: ["!", point],
        paint: { "line-color": layer.color, "line-width": 1.5 },
      },
      "camera-fov",
    );
    map.addLayer(
      {
        id: ids[2],
        type: "circle",
        source,
        filter: point,
        paint: { "circle-color": layer.color, "circle-radius": 4 },
      },
      "camera-fov",
    );
    const checkbox = el("input", { type: "checkbox", checked: true });
    checkbox.addEventListener("change", () => {
      for (const id of ids) map.setLayoutProperty(id, "visibility", checkbox.checked ? "visible" : "none");
    });
    toggles.append(
      el(
        "label",
        { className: "layer-toggle" },
        checkbox,
        el("span", { className: "swatch", style: `background:${layer.color}` }),
        layer.name,
      ),
    );
  }
}

async function refreshCamerasGeojson() {
  try {
    state.camerasGeojson = await api("/api/cameras.geojson");
  } catch (error) {
    toast(error.message);
    return;
  }
  const source = state.map && state.map.getSource("cameras");
  if (source) source.setData(state.camerasGeojson);
}

// Camera SSE messages come in bursts (one per camera per status interval); redraw once per burst.
let geojsonTimer = null;
function scheduleCamerasGeojson() {
  clearTimeout(geojsonTimer);
  geojsonTimer = setTimeout(refreshCamerasGeojson, 300);
}

function highlightCamera(cameraId) {
  if (!state.map || !state.map.getLayer("camera-selected")) return;
  state.map.setFilter("camera-selected", [
    "all",
    ["==", ["get", "kind"], "camera"],
    ["==", ["get", "camera_id"], cameraId || ""],
  ]);
}

function cameraFeature(cameraId) {
  return state.camerasGeojson.features.find(
    (f) => f.properties.kind === "camera" && f.properties.camera_id === cameraId,
  );
}

function openCameraPopup(cameraId) {
  const feature = cameraFeature(cameraId);
  if (!feature || !state.map) return;
  if (state.popup) state.popup.remove();
  state.popupCameraId = cameraId;
  highlightCamera(cameraId);
  const popup = new maplibregl.Popup({ closeButton: true, maxWidth: "360px", className: "camera-popup" })
    .setLngLat(feature.geometry.coordinates)
    .setDOMContent(renderPopupContent(cameraId))
    .addTo(state.map);
  translateMapControls(); // the map's locale was fixed when it was built
  popup.on("close", () => {
    if (state.popup === popup) {
      state.popup = null;
      state.popupCameraId = null;
      highlightCamera(null);
    }
  });
  state.popup = popup;
}

function renderPopupContent(cameraId) {
  const feature = cameraFeature(cameraId);
  const props = feature ? feature.properties : {};
  const camera = state.cameras.get(cameraId);
  const cameraState = camera?.state || props.state || "starting";
  const tile = createTile(cameraId, { compact: true });
  return el(
    "div",
    { className: "popup-body" },
    tile,
    el(
      "p",
      { className: "popup-meta" },
      t("map.popup.heading", {
        heading: Math.round(props.heading_deg ?? 0),
        fov: Math.round(props.fov_deg ?? 0),
        range: Math.round(props.range_m ?? 0),
      }),
      " · ",
      el("span", { className: `state-text state-${cameraState}` }, t(`camera.${cameraState}`)),
    ),
  );
}

// --- video wall ------------------------------------------------------------------------------

const tiles = new Set(); // every live <img> on the page, refreshed together

function createTile(cameraId, { compact = false } = {}) {
  const camera = state.cameras.get(cameraId);
  const cameraState = camera?.state || "starting";
  const image = el("img", {
    className: "live",
    alt: cameraName(cameraId),
    dataset: { camera: cameraId },
    decoding: "async",
  });
  const waiting = el("span", { className: "waiting", "data-i18n": "wall.waiting" }, t("wall.waiting"));
  const figure = el(
    "figure",
    {
      className: `tile state-${cameraState}${compact ? " compact" : ""}`,
      dataset: { camera: cameraId, loaded: "0" },
    },
    el("div", { className: "frame" }, image, waiting),
    el(
      "figcaption",
      {},
      el("span", { className: "dot", "aria-hidden": "true" }),
      el("span", { className: "name" }, cameraName(cameraId)),
      el("span", { className: "state-text" }, t(`camera.${cameraState}`)),
      el("span", { className: "obs" }, observationSummary(cameraId)),
    ),
  );
  image.addEventListener("load", () => {
    figure.dataset.loaded = "1";
    image.dataset.busy = "";
  });
  image.addEventListener("error", () => {
    // 404 until the camera's first analysed frame: keep the placeholder and try again later.
    figure.dataset.loaded = "0";
    image.dataset.busy = "";
  });
  if (!compact) {
    figure.addEventListener("click", () => {
      openCameraPopup(cameraId);
      const feature = cameraFeature(cameraId);
      if (feature && state.map) state.map.easeTo({ center: feature.geometry.coordinates });
    });
  }
  tiles.add(image);
  refreshTile(image);
  return figure;
}

function refreshTile(image) {
  // One request in flight per tile: a slow server gets fewer requests, not a queue of them.
  if (image.dataset.busy === "1") return;
  image.dataset.busy = "1";
  image.src = `/api/cameras/${encodeURIComponent(image.dataset.camera)}/live.jpg?t=${Date.now()}`;
}

function refreshTiles() {
  if (document.hidden) return;
  for (const image of [...tiles]) {
    if (!image.isConnected) {
      tiles.delete(image);
      continue;
    }
    refreshTile(image);
  }
}

function renderWall() {
  const wall = $("#wall");
  wall.replaceChildren();
  if (state.cameras.size === 0) {
    wall.append(el("p", { className: "placeholder" }, t("wall.empty")));
    return;
  }
  for (const cameraId of state.cameras.keys()) wall.append(createTile(cameraId));
}

function updateTileState(cameraId) {
  const camera = state.cameras.get(cameraId);
  if (!camera) return;
  for (const figure of document.querySelectorAll(`figure.tile[data-camera="${CSS.escape(cameraId)}"]`)) {
    figure.className = figure.className.replace(/\bstate-\S+/g, "").trim() + ` state-${camera.state}`;
    figure.querySelector(".name").textContent = cameraName(cameraId);
    figure.querySelector(".state-text").textContent = t(`camera.${camera.state}`);
    figure.querySelector(".obs").textContent = observationSummary(cameraId);
  }
}

function observationSummary(cameraId) {
  const latest = state.observations.get(cameraId);
  if (!latest) return "";
  return [...latest.values()]
    .map((o) => {
      const key = `observation.${o.kind}`;
      const value = formatValue(o.value);
      const level = o.level ? ` ${tOr(`level.${o.level}`, o.level)}` : "";
      const method = o.method ? ` (${tOr(`method.${o.method}`, o.method)})` : "";
      const text = tOr(key, null) === null ? `${o.kind} ${value}` : t(key, { value });
      return `${placeName(cameraId, o.rule_id)} ${text}${level}${method}`;
    })
    .join(" · ");
}

function formatValue(value) {
  if (Number.isInteger(value)) return String(value);
  // Densities of a sparse zone (0.005 persons/m²) would all read 0.0 with one decimal.
  return Math.abs(value) < 1 ? Number(value).toFixed(2) : Number(value).toFixed(1);
}

// --- alerts ----------------------------------------------------------------------------------

function sortedAlerts() {
  return [...state.alerts.values()].sort((a, b) => {
    const byTime = Date.parse(b.opened_at) - Date.parse(a.opened_at);
    return byTime || (SEVERITY_RANK[b.severity] ?? 0) - (SEVERITY_RANK[a.severity] ?? 0);
  });
}

function renderAlerts() {
  const list = $("#alert-list");
  const alerts = sortedAlerts();
  $("#alert-count").textContent = t("alerts.count", { count: alerts.length });
  list.replaceChildren(...alerts.map(renderAlertCard));
  if (alerts.length === 0) list.append(el("li", { className: "placeholder" }, t("alerts.empty")));
}

function renderAlertCard(alert) {
  const selected = alert.id === state.selectedAlertId;
  const actions = el("div", { className: "actions" });
  for (const target of ["acknowledged", "escalated", "resolved", "dismissed"]) {
    if (!alert.allowed_transitions.includes(target)) continue;
    actions.append(
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
    );
  }
  const where = [cameraName(alert.camera_id), placeName(alert.camera_id, alert.zone_id)]
    .filter(Boolean)
    .join(" · ");
  return el(
    "li",
    {
      className: `alert-card severity-${alert.severity} status-${alert.status}${selected ? " selected" : ""}`,
      dataset: { id: alert.id, status: alert.status, severity: alert.severity },
      tabindex: "0",
      "aria-selected": String(selected),
      onclick: () => selectAlert(alert.id),
      onkeydown: (event) => {
        if (event.key === "Enter") selectAlert(alert.id);
      },
    },
    el(
      "div",
      { className: "card-head" },
      el("span", { className: "severity" }, t(`severity.${alert.severity}`)),
      el("span", { className: "status" }, t(`status.${alert.status}`)),
      el("time", { className: "when", datetime: alert.opened_at }, formatTime(alert.opened_at, { withDate: true })),
    ),
    el("div", { className: "title" }, alertTitle(alert)),
    el(
      "div",
      { className: "meta" },
      el("span", { className: "label" }, t("alerts.camera")),
      " ",
      where,
      alert.class_name ? ` · ${classLabel(alert.class_name)}` : "",
      alert.event_ids.length > 1 ? ` · ×${alert.event_ids.length}` : "",
    ),
    actions,
  );
}

/** Remember the alert's version; false when a newer one was already seen (SSE beat a fetch). */
function isFresh(alert) {
  const seen = state.alertVersions.get(alert.id);
  const version = Date.parse(alert.updated_at) || 0;
  if (seen !== undefined && seen > version) return false;
  state.alertVersions.set(alert.id, version);
  return true;
}

function upsertAlert(alert) {
  if (!isFresh(alert)) return;
  if (OPEN_STATUSES.includes(alert.status)) state.alerts.set(alert.id, alert);
  else state.alerts.delete(alert.id);
  renderAlerts();
  if (alert.id === state.selectedAlertId) loadEvidence(alert.id);
}

async function loadAlerts() {
  try {
    const page = await api(`/api/alerts?status=${OPEN_STATUSES.join(",")}&limit=200`);
    state.alerts = new Map(page.items.filter(isFresh).map((a) => [a.id, a]));
    showMessage("#alerts-message", "");
  } catch (error) {
    showMessage("#alerts-message", t("alerts.error", { detail: error.message }));
  }
  renderAlerts();
}

async function transition(alertId, to, button) {
  if (button) button.disabled = true;
  try {
    const moved = await api(`/api/alerts/${encodeURIComponent(alertId)}/transitions`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ to, by: "operator", note: null }),
    });
    upsertAlert(moved);
  } catch (error) {
    toast(t("alerts.transition.failed", { detail: error.message }));
    if (error.status === 409) {
      // Someone else moved it first: show what it is now.
      try {
        upsertAlert(await api(`/api/alerts/${encodeURIComponent(alertId)}`));
      } catch {
        // keep the card as it was; the next SSE message corrects it
      }
    }
    if (button) button.disabled = false;
  }
}

function selectAlert(alertId) {
  state.selectedAlertId = alertId;
  renderAlerts();
  const alert = state.alerts.get(alertId);
  const feature = alert && cameraFeature(alert.camera_id);
  if (feature && state.map) {
    highlightCamera(alert.camera_id);
    state.map.easeTo({ center: feature.geometry.coordinates });
  }
  loadEvidence(alertId);
}

async function loadEvidence(alertId) {
  try {
    const detail = await api(`/api/alerts/${encodeURIComponent(alertId)}`);
    if (state.selectedAlertId !== alertId) return;
    state.selectedDetail = detail;
  } catch (error) {
    if (state.selectedAlertId !== alertId) return;
    state.selectedDetail = null;
    $("#evidence-body").replaceChildren(
      el("p", { className: "message" }, t("evidence.error", { detail: error.message })),
    );
    return;
  }
  renderEvidence();
}

function renderEvidence() {
  const body = $("#evidence-body");
  const detail = state.selectedDetail;
  if (!detail) {
    body.replaceChildren(el("p", { className: "placeholder" }, t("evidence.none")));
    return;
  }
  const snapshot = detail.snapshot_url
    ? el("img", { className: "snapshot", src: detail.snapshot_url, alt: t("evidence.snapshot") })
    : el("div", { className: "snapshot none" }, t("evidence.no_snapshot"));
  const events = el("ol", { className: "evidence-events" }, ...(detail.events || []).map(renderEventRow));
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
    ? el("video", { className: "clip", src: detail.clip_url, controls: true, muted: true, preload: "metadata" })
    : null;
  // replaceChildren() would print a null as the text "null": leave absent parts out.
  const parts = [
    el("div", { className: "evidence-title" }, alertTitle(detail)),
    snapshot,
    clip,
    el("h4", {}, t("evidence.events", { count: (detail.events || []).length })),
    events,
    notes,
  ];
  body.replaceChildren(...parts.filter(Boolean));
}

// --- events ----------------------------------------------------------------------------------

function renderEventRow(event) {
  const details = [
    cameraName(event.camera_id),
    placeName(event.camera_id, event.zone_id || event.rule_id),
    classLabel(event.class_name),
  ];
  if (event.direction) details.push(tOr(`direction.${event.direction}`, event.direction));
  if (event.level) details.push(tOr(`level.${event.level}`, event.level));
  if (event.value !== undefined && event.value !== null) details.push(formatValue(event.value));
  if (event.dwell_s !== undefined && event.dwell_s !== null) {
    details.push(t("event.dwell", { value: Math.round(event.dwell_s) }));
  }
  if (typeof event.confidence === "number") {
    details.push(t("event.confidence", { value: Math.round(event.confidence * 100) }));
  }
  return el(
    "li",
    { className: `event kind-${event.kind}`, dataset: { id: event.id } },
    el("time", { datetime: event.occurred_at }, formatTime(event.occurred_at)),
    el("span", { className: "kind" }, kindLabel(event.kind)),
    el("span", { className: "details" }, details.filter(Boolean).join(" · ")),
  );
}

function renderTimeline() {
  const list = $("#timeline");
  list.replaceChildren(...state.events.map(renderEventRow));
  if (state.events.length === 0) list.append(el("li", { className: "placeholder" }, t("timeline.empty")));
}

function prependEvent(event) {
  if (state.events.some((e) => e.id === event.id)) return;
  state.events.unshift(event);
  state.events.length = Math.min(state.events.length, TIMELINE_LIMIT);
  renderTimeline();
  const first = $("#timeline").firstElementChild;
  if (first) first.classList.add("fresh");
}

async function loadEvents() {
  try {
    const page = await api(`/api/events?limit=${TIMELINE_LIMIT}`);
    state.events = page.items;
    showMessage("#timeline-message", "");
  } catch (error) {
    showMessage("#timeline-message", t("timeline.error", { detail: error.message }));
  }
  renderTimeline();
}

// --- cameras ---------------------------------------------------------------------------------

async function loadCameras() {
  try {
    const cameras = await api("/api/cameras");
    state.cameras = new Map(cameras.map((c) => [c.id, c]));
    for (const observation of await api("/api/observations")) rememberObservation(observation);
  } catch (error) {
    toast(error.message);
  }
}

function updateCamera(camera) {
  const known = state.cameras.has(camera.id);
  const previous = state.cameras.get(camera.id);
  state.cameras.set(camera.id, { ...(previous || {}), ...camera });
  if (!known) renderWall();
  else updateTileState(camera.id);
  if (!previous || previous.state !== camera.state) scheduleCamerasGeojson();
}

// --- live stream -----------------------------------------------------------------------------

function parse(message) {
  try {
    return JSON.parse(message.data);
  } catch {
    return null;
  }
}

function connectStream() {
  setConnection("connecting");
  const stream = new EventSource("/api/stream");
  state.stream = stream;
  let wasOpen = false;
  stream.addEventListener("open", () => {
    setConnection("live");
    // After a gap we may have missed messages: catch up from the API.
    if (wasOpen) resync();
    wasOpen = true;
  });
  stream.addEventListener("error", () => {
    if (stream.readyState === EventSource.CLOSED) {
      // EventSource gives up for good on an HTTP error status; keep trying ourselves.
      setConnection("offline");
      setTimeout(() => {
        if (state.stream === stream) connectStream().addEventListener("open", resync, { once: true });
      }, 5000);
    } else {
      setConnection("reconnecting");
    }
  });
  stream.addEventListener("alert", (message) => {
    const alert = parse(message);
    if (alert) upsertAlert(alert);
  });
  stream.addEventListener("event", (message) => {
    const event = parse(message);
    if (event) prependEvent(event);
  });
  stream.addEventListener("camera", (message) => {
    const camera = parse(message);
    if (camera) updateCamera(camera);
  });
  stream.addEventListener("observation", (message) => {
    const observation = parse(message);
    if (!observation) return;
    rememberObservation(observation);
    updateTileState(observation.camera_id);
  });
  return stream;
}

function rememberObservation(observation) {
  const perCamera = state.observations.get(observation.camera_id) || new Map();
  perCamera.set(`${observation.rule_id}/${observation.kind}`, observation);
  state.observations.set(observation.camera_id, perCamera);
}

async function resync() {
  await Promise.all([loadAlerts(), loadEvents(), loadCameras().then(refreshCamerasGeojson)]);
  for (const cameraId of state.cameras.keys()) updateTileState(cameraId);
}

// --- language --------------------------------------------------------------------------------

function rerenderForLanguage() {
  renderLanguageButtons();
  setConnection($("#connection").dataset.state);
  tickClock();
  renderAlerts();
  renderEvidence();
  renderTimeline();
  for (const cameraId of state.cameras.keys()) updateTileState(cameraId);
  for (const waiting of document.querySelectorAll(".tile .waiting")) waiting.textContent = t("wall.waiting");
  if (state.popupCameraId && state.popup) state.popup.setDOMContent(renderPopupContent(state.popupCameraId));
  translateMapControls();
}

// --- start -----------------------------------------------------------------------------------

async function waitForIdle(map) {
  await new Promise((resolve) => {
    map.once("idle", resolve);
    map.triggerRepaint();
  });
}

async function start() {
  applyTranslations();
  renderLanguageButtons();
  setConnection("connecting");
  tickClock();
  setInterval(tickClock, 1000);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
  }
  onLanguageChange(rerenderForLanguage);

  let site;
  try {
    site = await api("/api/site");
  } catch (error) {
    toast(error.message);
    site = { name: "cctwin", center: [126.978, 37.5665], zoom: 15, language: "ko", layers: [] };
  }
  state.site = site;
  if (!hasStoredLanguage() && site.language !== getLanguage()) {
    setLanguage(site.language, { remember: false });
  }
  $("#site-name").textContent = site.name;
  document.title = `${site.name} · cctwin`;

  // Subscribe first, then take the snapshots, so nothing that happens in between is lost.
  const stream = connectStream();
  await new Promise((resolve) => {
    stream.addEventListener("open", resolve, { once: true });
    setTimeout(resolve, 3000); // a broken stream must not keep the page empty
  });

  const districtPromise = api("/api/site/district.geojson").catch((error) => {
    showMessage("#map-message", t("map.error.district", { detail: error.message }));
    return EMPTY_COLLECTION;
  });
  const camerasPromise = loadCameras().then(refreshCamerasGeojson);
  const listsPromise = Promise.all([loadAlerts(), loadEvents()]);

  try {
    state.map = createMap(site);
  } catch (error) {
    showMessage("#map-message", t("map.error.webgl", { detail: error.message }));
  }
  window.cctwin = { map: state.map, state, refresh: resync };

  await camerasPromise;
  renderWall();
  setInterval(refreshTiles, TILE_REFRESH_MS);
  document.addEventListener("visibilitychange", refreshTiles);

  if (state.map) {
    const map = state.map;
    await whenLoaded(map);
    addMapLayers(map, await districtPromise);
    await addSiteLayers(map, site.layers || []);
    state.mapReady = true;
    await listsPromise;
    await waitForIdle(map);
  } else {
    await listsPromise;
  }
  document.body.dataset.ready = "1";
}

start();
