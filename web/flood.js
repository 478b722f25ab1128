// Flood what-ifs on the map: a run's flooded inlets over time (SWMM, docs/flood.md) on the
// generated drainage network, and "model beside camera": each camera that watches a flooded
// inlet shows the modelled depth next to its own latest flood observation.
// Open a stored run with ?flood_run=<id> (GET /api/scenarios/runs/{id}); consoles and tests can call
// window.cctwin.showFloodRun(result) with a FloodResult.

import { ApiError } from "./api.js";
import { el } from "./dom.js";
import { t } from "./i18n.js";
import { cameraName, data, on } from "./state.js";

const NETWORK = "flood-network";
const NODES = "flood-nodes";
const FRAME_MS = 400;

let map = null;
let run = null;
let timeIndex = 0;
let timer = null;
let panel = null;

/** A stored run as the scenarios API returns it, or the FloodResult itself. */
export function floodResultOf(body) {
  if (body && Array.isArray(body.node_results)) return body;
  if (body && body.result && Array.isArray(body.result.node_results)) return body.result;
  return null;
}

/** The inlets that ever had water over the rim, with their depth (m) at one report step. */
export function floodFeatures(result, index) {
  const features = [];
  for (const node of result.node_results) {
    const series = result.series.depth_m[node.id];
    if (!series) continue;
    features.push({
      type: "Feature",
      id: node.id,
      geometry: { type: "Point", coordinates: [node.lon, node.lat] },
      properties: {
        id: node.id,
        depth_m: series[Math.min(index, series.length - 1)] ?? 0,
        max_depth_m: node.max_depth_m,
        flooded: node.flooded,
      },
    });
  }
  return { type: "FeatureCollection", features };
}

// The live flood analytics publish flood.level (cm) or flood.coverage (share of the ROI).
function latestFloodObservation(observations, cameraId) {
  let latest = null;
  for (const observation of (observations.get(cameraId) || new Map()).values()) {
    if (!String(observation.kind).startsWith("flood.")) continue;
    if (!latest || observation.observed_at > latest.observed_at) latest = observation;
  }
  return latest;
}

/** One row per camera that watches a flooded inlet: modelled depth now and at most, observed. */
export function modelBesideCamera(result, observations, index) {
  return result.camera_nodes.map((camera) => {
    const depths = camera.nodes.map((id) => {
      const series = result.series.depth_m[id] || [];
      return series[Math.min(index, series.length - 1)] ?? 0;
    });
    return {
      cameraId: camera.camera_id,
      nodes: camera.nodes,
      modelNowM: Math.max(0, ...depths),
      modelMaxM: camera.max_depth_m,
      observed: latestFloodObservation(observations, camera.camera_id),
    };
  });
}

function clock(seconds) {
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}:${String(minutes % 60).padStart(2, "0")}`;
}

function observedText(observation) {
  if (!observation) return t("flood.camera.none");
  const value =
    observation.kind === "flood.level"
      ? t("observation.flood.level", { value: Math.round(observation.value) })
      : t("observation.flood.coverage", { value: `${Math.round(observation.value * 100)}%` });
  return observation.level ? `${value} (${observation.level})` : value;
}

function renderPanel() {
  if (!panel || !run) return;
  const times = run.series.times_s;
  const time = times[Math.min(timeIndex, times.length - 1)] ?? 0;
  panel.querySelector(".flood-title").textContent = t("flood.title", { name: run.scenario });
  panel.querySelector(".flood-summary").textContent = t("flood.summary", {
    flooded: run.flooded_nodes,
    nodes: run.nodes,
    depth: run.max_depth_m.toFixed(2),
    rain: run.rain.total_mm,
  });
  panel.querySelector(".flood-time").textContent = t("flood.time", { time: clock(time) });
  panel.querySelector("input").value = String(timeIndex);
  const rows = modelBesideCamera(run, data.observations, timeIndex);
  const list = panel.querySelector(".flood-cameras");
  list.replaceChildren(
    ...(rows.length
      ? rows.map((row) =>
          el(
            "li",
            { dataset: { cameraId: row.cameraId } },
            el("strong", {}, cameraName(row.cameraId)),
            el(
              "span",
              { className: "flood-model" },
              t("flood.camera.model", {
                now: Math.round(row.modelNowM * 100),
                max: Math.round(row.modelMaxM * 100),
              }),
            ),
            el(
              "span",
              { className: "flood-observed" },
              t("flood.camera.observed", { text: observedText(row.observed) }),
            ),
          ),
        )
      : [el("li", {}, t("flood.camera.nothing"))]),
  );
}

function draw() {
  const source = map && map.getSource(NODES);
  if (source) source.setData(floodFeatures(run, timeIndex));
  renderPanel();
}

function setTime(index) {
  timeIndex = Math.max(0, Math.min(index, run.series.times_s.length - 1));
  draw();
}

function togglePlay(button) {
  if (timer) {
    clearInterval(timer);
    timer = null;
  } else {
    timer = setInterval(() => setTime((timeIndex + 1) % run.series.times_s.length), FRAME_MS);
  }
  button.textContent = t(timer ? "flood.pause" : "flood.play");
}

function buildPanel() {
  const slider = el("input", { type: "range", min: "0", step: "1" });
  const play = el("button", { type: "button", className: "flood-play" }, t("flood.play"));
  const close = el("button", { type: "button", className: "flood-close" }, t("common.close"));
  panel = el(
    "div",
    { className: "flood-panel", id: "flood-panel" },
    el("div", { className: "flood-head" }, el("strong", { className: "flood-title" }), close),
    el("div", { className: "flood-summary" }),
    el("div", { className: "flood-controls" }, play, slider, el("span", { className: "flood-time" })),
    el("div", { className: "flood-note" }, t("flood.sample")),
    el("ul", { className: "flood-cameras" }),
  );
  slider.addEventListener("input", () => setTime(Number(slider.value)));
  play.addEventListener("click", () => togglePlay(play));
  close.addEventListener("click", hideFloodRun);
  document.querySelector(".map-panel").append(panel);
}

async function addNetwork() {
  if (map.getSource(NETWORK)) return;
  let network = { type: "FeatureCollection", features: [] };
  try {
    const response = await fetch("/api/flood/network", { credentials: "same-origin" });
    if (response.ok) network = await response.json();
  } catch {
    // the run's own nodes still draw without the pipes
  }
  map.addSource(NETWORK, { type: "geojson", data: network });
  map.addLayer({
    id: NETWORK,
    type: "line",
    source: NETWORK,
    filter: ["==", ["get", "kind"], "conduit"],
    paint: {
      "line-color": "#3f8fd2",
      "line-opacity": 0.45,
      "line-width": ["interpolate", ["linear"], ["get", "diameter_m"], 0.25, 1, 2, 4],
    },
  });
}

/** Draw a run (a FloodResult, or a stored run holding one) on the map and open its panel. */
export async function showFloodRun(body) {
  const result = floodResultOf(body);
  if (!result || !map) return false;
  run = result;
  if (!panel) buildPanel();
  panel.hidden = false;
  panel.querySelector("input").max = String(Math.max(0, run.series.times_s.length - 1));
  await addNetwork();
  if (!map.getSource(NODES)) {
    map.addSource(NODES, { type: "geojson", data: floodFeatures(run, 0) });
    map.addLayer({
      id: NODES,
      type: "circle",
      source: NODES,
      paint: {
        // Radius and colour by the water over the rim: 0 m faint, 0.5 m and more deep red.
        "circle-radius": ["interpolate", ["linear"], ["get", "depth_m"], 0, 2, 0.5, 12],
        "circle-color": ["interpolate", ["linear"], ["get", "depth_m"], 0, "#4dd2ff", 0.05, "#f5a623", 0.5, "#ff4d5e"],
        "circle-opacity": ["case", [">", ["get", "depth_m"], 0.001], 0.9, 0.25],
        "circle-stroke-color": "#0a1018",
        "circle-stroke-width": 1,
      },
    });
  }
  // Open at the wettest moment: the step where most water stands over the rims.
  const totals = run.series.times_s.map((_, i) =>
    Object.values(run.series.depth_m).reduce((sum, series) => sum + (series[i] || 0), 0),
  );
  setTime(totals.indexOf(Math.max(...totals)));
  return true;
}

export function hideFloodRun() {
  if (timer) clearInterval(timer);
  timer = null;
  if (panel) panel.hidden = true;
  for (const id of [NODES, NETWORK]) {
    if (map && map.getLayer(id)) map.removeLayer(id);
    if (map && map.getSource(id)) map.removeSource(id);
  }
  run = null;
}

/** Wire the flood view to a loaded map; opens ?flood_run=<id> when the address names one. */
export async function startFlood(loadedMap) {
  map = loadedMap;
  if (window.cctwin) window.cctwin.showFloodRun = showFloodRun;
  on("observation", () => renderPanel());
  const id = new URLSearchParams(location.search).get("flood_run");
  if (!id) return;
  try {
    const response = await fetch(`/api/scenarios/runs/${encodeURIComponent(id)}`, {
      credentials: "same-origin",
    });
    if (!response.ok) throw new ApiError(response.status, `${response.status}`);
    if (!(await showFloodRun(await response.json()))) throw new Error(t("flood.error.not_flood"));
  } catch (error) {
    const box = document.querySelector("#map-message");
    box.textContent = t("flood.error.run", { id, detail: error.message });
    box.hidden = false;
  }
}
