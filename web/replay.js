// Replay: a time slider that plays the twin back (zone densities and levels, camera states,
// alerts open then, the events around that moment with their snapshots and clips) for an
// after-action review, and a button back to live. Live, the same zone view follows the twin.

import { getAlert, getTwinAt } from "./api.js";
import { $, el, fill } from "./dom.js";
import { showOthersAt, showOthersLive } from "./foreign.js";
import { toast } from "./header.js";
import { formatTime, getLanguage, kindLabel, t, tOr } from "./i18n.js";
import { refreshCamerasGeojson } from "./map.js";
import { cameraName, data, on, placeName, selectAlert } from "./state.js";
import { addZoneLayer, showZones } from "./twin_zones.js";

const SPANS_S = [900, 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400]; // history on the slider
const SPEEDS = [1, 10, 60, 600];
const DEBOUNCE_MS = 40; // a dragged slider asks for the newest moment, not every step
const LIVE_REFRESH_MS = 3000;
const PLAY_TICK_MS = 500;
// Moments already shown, by whole second: going back over them costs no round trip. Only
// moments well in the past (late readings rarely arrive after two minutes), kept a minute.
const CACHE_SIZE = 120;
const CACHE_TTL_MS = 60_000;
const CACHE_AFTER_MS = 120_000;
const cache = new Map(); // ISO second -> {state, at}

let map = null;
let anchor = new Date(); // the slider's right end
let spanS = 3600;
let speed = 10;
let player = null;
let debounce = null;
let sequence = 0;
let inFlight = false;
let entering = false; // the slider left live; its anchor is fixed until replay starts
let liveTimer = null;
let liveFootprints = null;
let shown = null; // the twin state on screen (live or replayed), redrawn in another language
const ui = {};

const spanLabel = (s) => (s < 3600 ? t("replay.minutes", { n: s / 60 }) : s < 86400
  ? t("replay.hours", { n: s / 3600 }) : t("replay.days", { n: s / 86400 }));

function buildBar() {
  ui.mode = el("span", { id: "replay-mode", className: "replay-mode" });
  ui.slider = el("input", { id: "replay-slider", type: "range", min: -spanS, max: 0, step: 1, value: 0,
    oninput: () => schedule(), "aria-label": t("replay.slider") });
  ui.time = el("time", { id: "replay-time", className: "replay-time" });
  ui.play = el("button", { id: "replay-play", type: "button", onclick: togglePlay });
  ui.speed = el("select", { id: "replay-speed", onchange: () => { speed = Number(ui.speed.value); } },
    SPEEDS.map((s) => el("option", { value: s, selected: s === speed }, `${s}×`)));
  ui.span = el("select", { id: "replay-span", onchange: () => setSpan(Number(ui.span.value)) },
    SPANS_S.map((s) => el("option", { value: s, selected: s === spanS })));
  ui.jump = el("button", { id: "replay-jump", type: "button", onclick: jumpToSelectedAlert });
  ui.live = el("button", { id: "replay-live", type: "button", onclick: backToLive });
  // The twin's standard API: cctwin's own entities, readable by other systems.
  ui.ngsi = el("a", { id: "ngsi-link", href: "/ngsi-ld/v1/entities?type=CrowdFlowObserved,Camera,Alert&limit=100",
    target: "_blank", rel: "noopener" }, "NGSI-LD");
  ui.bar = el("div", { id: "replay-bar", className: "replay-bar" },
    ui.mode, ui.play, ui.slider, ui.time, ui.speed, ui.span, ui.jump, ui.live, ui.ngsi);
  ui.panel = el("div", { id: "replay-panel", className: "replay-panel", hidden: true });
  $(".map-panel").append(ui.bar, ui.panel);
}

export function translateReplay() {
  if (!ui.bar) return;
  const replaying = Boolean(data.replayAt);
  ui.mode.textContent = t(replaying ? "replay.mode.replay" : "replay.mode.live");
  ui.play.textContent = t(player ? "replay.pause" : "replay.play");
  ui.jump.textContent = t("replay.jump");
  ui.jump.title = t("replay.jump.title");
  ui.live.textContent = t("replay.live");
  ui.ngsi.title = t("replay.ngsi");
  ui.slider.setAttribute("aria-label", t("replay.slider"));
  for (const option of ui.span.options) option.textContent = spanLabel(Number(option.value));
  ui.time.hidden = !replaying; // live, the header's clock says the time
  if (replaying) ui.time.textContent = formatTime(data.replayAt.toISOString(), { withDate: true });
}

/** Everything the replay draws, in the language just chosen. */
export function translateAll() {
  translateReplay();
  if (!shown) return;
  if (map) showZones(map, shown);
  if (data.replayAt) renderPanel(shown);
}

function setMode(replaying) {
  document.body.dataset.mode = replaying ? "replay" : "live";
  ui.live.disabled = !replaying;
  ui.panel.hidden = !replaying;
  translateReplay();
}

function setSpan(seconds) {
  spanS = seconds;
  ui.slider.min = String(-seconds);
  if (Number(ui.slider.value) < -seconds) ui.slider.value = String(-seconds);
  if (data.replayAt) schedule();
}

/** Replay `at` (a Date): the slider moves there, and the twin of that moment is shown. */
export function replayAt(at) {
  const now = new Date();
  if (!data.replayAt || at > anchor) {
    entering = !data.replayAt; // schedule() keeps this anchor
    setAnchor(now);
  }
  const back = (anchor - at) / 1000;
  const fit = SPANS_S.find((s) => s >= back) || SPANS_S[SPANS_S.length - 1];
  if (fit > spanS) {
    ui.span.value = String(fit);
    setSpan(fit);
  }
  // Whole seconds on the slider: rounded up, so an alert opened at `at` is open then.
  ui.slider.value = String(Math.ceil((at - anchor) / 1000));
  schedule();
}

function setAnchor(at) {
  anchor = at;
  ui.bar.dataset.anchor = at.toISOString();
}

function schedule() {
  // Leaving live: the slider's right end is now; its value counts seconds back from there.
  if (!data.replayAt && !entering) {
    entering = true;
    setAnchor(new Date());
  }
  clearTimeout(debounce);
  // Nothing asked yet: ask now (the state shows within one round trip); while a request is
  // out, only the newest position is asked for once it answers (a drag is not a burst).
  if (inFlight) debounce = setTimeout(schedule, DEBOUNCE_MS);
  else show(sliderTime());
}

const sliderTime = () => new Date(anchor.getTime() + Number(ui.slider.value) * 1000);

async function show(at) {
  const mine = ++sequence;
  const started = performance.now();
  inFlight = true;
  if (!data.replayAt) await enterReplay();
  data.replayAt = at;
  translateReplay();
  const iso = at.toISOString();
  try {
    const state = cached(iso) || remember(iso, at, await getTwinAt(iso));
    if (mine !== sequence || !data.replayAt) return; // a newer moment was asked for meanwhile
    const fetched = performance.now();
    applyState(state);
    ui.bar.dataset.shownTime = iso;
    // Where a move's time goes: the round trip, then drawing it (read by the browser test).
    ui.bar.dataset.fetchMs = String(Math.round(fetched - started));
    ui.bar.dataset.latencyMs = String(Math.round(performance.now() - started));
  } catch (error) {
    toast(error.message);
  } finally {
    if (mine === sequence) inFlight = false;
  }
}

function cached(iso) {
  const hit = cache.get(iso);
  if (!hit || performance.now() - hit.at > CACHE_TTL_MS) return null;
  return hit.state;
}

function remember(iso, at, state) {
  if (Date.now() - at.getTime() < CACHE_AFTER_MS) return state;
  cache.delete(iso);
  cache.set(iso, { state, at: performance.now() });
  if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value);
  return state;
}

function prefetch(at) {
  const iso = at.toISOString();
  if (cached(iso) || at > anchor) return;
  getTwinAt(iso).then((state) => remember(iso, at, state)).catch(() => {});
}

async function enterReplay() {
  data.replayAt = anchor;
  entering = false;
  clearInterval(liveTimer);
  const footprints = map && map.getSource("footprints");
  liveFootprints = footprints ? await footprints.getData() : null;
  setMode(true);
}

function backToLive() {
  stopPlaying();
  clearTimeout(debounce);
  entering = false;
  sequence += 1;
  data.replayAt = null;
  delete ui.bar.dataset.shownTime;
  ui.slider.value = "0";
  setMode(false);
  shownStates = "";
  refreshCamerasGeojson();
  refreshLive();
  showOthersLive(map);
  liveTimer = setInterval(refreshLive, LIVE_REFRESH_MS);
}

function applyState(state) {
  shown = state;
  if (map) {
    showZones(map, state);
    showCameraStates(state.cameras);
  }
  showOthersAt(state.others || []);
  renderPanel(state);
}

/** Cameras and footprints coloured by the state each camera had then ("starting": unknown). */
let shownStates = "";

function showCameraStates(cameras) {
  const key = JSON.stringify(cameras.map((c) => [c.camera_id, c.state]));
  if (key === shownStates) return; // unchanged: no new map data, no repaint
  shownStates = key;
  const states = new Map(cameras.map((c) => [c.camera_id, c.state]));
  const restate = (collection) => ({ ...collection, features: collection.features.map((f) =>
    f.properties.camera_id === undefined ? f
      : { ...f, properties: { ...f.properties, state: states.get(f.properties.camera_id) || "starting" } }) });
  map.getSource("cameras")?.setData(restate(data.camerasGeojson));
  if (liveFootprints) map.getSource("footprints")?.setData(restate(liveFootprints));
}

function evidence(item) {
  return [
    item.snapshot_url ? el("a", { href: item.snapshot_url, target: "_blank", className: "thumb" },
      el("img", { src: item.snapshot_url, alt: t("evidence.snapshot"), loading: "lazy" })) : null,
    item.clip_url ? el("a", { href: item.clip_url, target: "_blank", className: "clip-link" }, t("replay.clip")) : null,
  ];
}

function renderPanel(state) {
  const when = formatTime(state.time, { withDate: true });
  const cameras = state.cameras.map((c) => el("li", { dataset: { camera: c.camera_id, state: c.state } },
    `${cameraName(c.camera_id)}: ${tOr(`camera.${c.state}`, c.state)}`));
  const alerts = state.alerts.map((a) => el("li", { className: `replay-alert severity-${a.severity}`,
    dataset: { id: a.id }, onclick: () => selectAlert(a.id) },
    el("span", { className: "title" }, (getLanguage() === "ko" && a.title_ko) || a.title),
    el("span", { className: "meta" }, `${formatTime(a.opened_at)} · ${cameraName(a.camera_id)}`), ...evidence(a)));
  const events = state.events.map((e) => el("li", { className: "replay-event", dataset: { id: e.id } },
    el("time", { datetime: e.occurred_at }, formatTime(e.occurred_at)),
    ` ${kindLabel(e.kind)} · ${cameraName(e.camera_id)} · ${placeName(e.camera_id, e.zone_id || "")}`,
    ...evidence(e)));
  const section = (key, items) => [el("h4", {}, t(key, { count: items.length })),
    items.length ? el("ul", {}, items) : el("p", { className: "placeholder" }, t("replay.none"))];
  fill(ui.panel, el("h3", {}, t("replay.at", { time: when })),
    ...section("replay.cameras", cameras), ...section("replay.alerts", alerts),
    ...section("replay.events", events));
}

function togglePlay() {
  if (player) return stopPlaying();
  if (!data.replayAt) {
    setAnchor(new Date());
    ui.slider.value = String(-spanS);
  }
  player = setInterval(() => {
    if (inFlight) return;
    const next = Number(ui.slider.value) + (speed * PLAY_TICK_MS) / 1000;
    ui.slider.value = String(Math.min(0, next));
    show(sliderTime());
    // The tick after this one, asked for now: it is on screen the moment the tick comes.
    prefetch(new Date(sliderTime().getTime() + speed * PLAY_TICK_MS));
    if (next >= 0) stopPlaying();
  }, PLAY_TICK_MS);
  translateReplay();
}

function stopPlaying() {
  clearInterval(player);
  player = null;
  translateReplay();
}

async function jumpToSelectedAlert() {
  const alertId = data.selectedAlertId;
  if (!alertId) return toast(t("replay.jump.none"));
  try {
    const alert = data.alerts.get(alertId) || (await getAlert(alertId));
    replayAt(new Date(alert.opened_at));
  } catch (error) {
    toast(error.message);
  }
}

async function refreshLive() {
  if (data.replayAt || !map) return;
  try {
    const state = await getTwinAt(null);
    if (!data.replayAt) {
      shown = state;
      showZones(map, state);
    }
  } catch (error) {
    // Live zones are a bonus on the map; the next refresh tries again.
    console.warn(`twin: ${error.message}`);
  }
}

/** The bar and panel; with a map, the zone layer and the live refresh of zone values. */
export async function startReplay(loadedMap) {
  map = loadedMap;
  buildBar();
  setMode(false);
  // An event's time in the timeline replays that moment.
  $("#timeline").addEventListener("click", (event) => {
    const time = event.target.closest("li.event time");
    if (time) replayAt(new Date(time.getAttribute("datetime")));
  });
  on("selection", ({ current }) => { ui.jump.disabled = !current; });
  ui.jump.disabled = !data.selectedAlertId;
  if (map && (await addZoneLayer(map))) {
    await refreshLive();
    liveTimer = setInterval(refreshLive, LIVE_REFRESH_MS);
  }
}
