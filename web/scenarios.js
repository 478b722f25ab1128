// What-if runs: list and run scenario files, play a crowd run on the 3D map, compare two runs.

import { request } from "./api.js";
import { $, el, fill } from "./dom.js";
import { t } from "./i18n.js";
import { getMap, whenLoaded } from "./map.js";

const AGENTS = "scenario-agents";
const ZONES = "scenario-zones";
const EMPTY = { type: "FeatureCollection", features: [] };
const FRAME_MS = 200; // one stored frame (5 simulated seconds) per 0.2 s: 25x real time
const POLL_MS = 10000; // the run list refreshes this often
// Zone colours by risk band, lowest first; below the first band the zone is calm.
const BAND_COLOURS = ["#f2c94c", "#f2994a", "#eb5757", "#9b1c1c"];
const CALM = "#27ae60";

const state = { runs: [], selected: new Set(), timer: null, poll: null, lookaheads: [] };

const listRuns = () => request("/api/scenarios/runs?limit=30");
const listFiles = () => request("/api/scenarios/files");
const latestLookaheads = () => request("/api/scenarios/lookahead/latest");
const getRun = (runId) => request(`/api/scenarios/runs/${encodeURIComponent(runId)}`);
const compareRuns = (a, b) =>
  request(`/api/scenarios/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
const startRun = (file) =>
  request("/api/scenarios/runs", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ file }),
  });

/** The colour of a density against the run's risk bands (persons/m2). */
export function bandColour(density, bands) {
  const sorted = [...bands].sort((a, b) => a.persons_per_m2 - b.persons_per_m2);
  let colour = CALM;
  sorted.forEach((band, i) => {
    if (density >= band.persons_per_m2) colour = BAND_COLOURS[Math.min(i, BAND_COLOURS.length - 1)];
  });
  return colour;
}

/** Zones and agents of stored frame `index` as GeoJSON (the zone density at that time). */
export function frameGeojson(result, index) {
  const time = result.frame_times[index];
  const sample = Math.max(0, result.times.findIndex((s) => s >= time));
  const zones = result.zones.map((zone) => ({
    type: "Feature",
    properties: {
      zone_id: zone.zone_id,
      density: zone.density[sample] ?? 0,
      colour: bandColour(zone.density[sample] ?? 0, result.bands),
    },
    geometry: zone.outline,
  }));
  const agents = result.frames[index].map((point) => ({
    type: "Feature",
    properties: {},
    geometry: { type: "Point", coordinates: point },
  }));
  return {
    zones: { type: "FeatureCollection", features: zones },
    agents: { type: "FeatureCollection", features: agents },
    time,
  };
}

function ensureLayers(map) {
  if (map.getSource(AGENTS)) return;
  map.addSource(ZONES, { type: "geojson", data: EMPTY });
  map.addSource(AGENTS, { type: "geojson", data: EMPTY });
  map.addLayer({
    id: ZONES,
    type: "fill",
    source: ZONES,
    paint: { "fill-color": ["get", "colour"], "fill-opacity": 0.45 },
  });
  map.addLayer({
    id: AGENTS,
    type: "circle",
    source: AGENTS,
    paint: { "circle-radius": 2.5, "circle-color": "#1b4f9c", "circle-opacity": 0.85 },
  });
}

function stopPlaying() {
  if (state.timer !== null) clearInterval(state.timer);
  state.timer = null;
}

async function play(runId) {
  stopPlaying();
  const run = await getRun(runId);
  if (run.kind === "flood") {
    // Flooded inlets over time, and the cameras beside them: the flood view draws those.
    if (window.cctwin && window.cctwin.showFloodRun) await window.cctwin.showFloodRun(run);
    return;
  }
  const result = run.result;
  const status = $("#scenario-status");
  if (!result || !result.frames || !result.frames.length) {
    fill(status, t("scenarios.no_frames"));
    return;
  }
  await whenLoaded();
  const map = getMap();
  ensureLayers(map);
  let index = 0;
  state.timer = setInterval(() => {
    const frame = frameGeojson(result, index);
    map.getSource(ZONES).setData(frame.zones);
    map.getSource(AGENTS).setData(frame.agents);
    const peak = Math.max(0, ...frame.zones.features.map((f) => f.properties.density));
    fill(
      status,
      t("scenarios.frame", {
        time: Math.round(frame.time),
        people: frame.agents.features.length,
        density: peak.toFixed(2),
      }),
    );
    index += 1;
    if (index >= result.frames.length) stopPlaying();
  }, FRAME_MS);
}

function summaryText(run) {
  const s = run.summary || {};
  if (run.kind === "crowd") {
    return t("scenarios.crowd_summary", {
      agents: s.agents ?? "-",
      density: s.max_density ?? "-",
      time: s.peak_time_s ?? "-",
      wall: s.wall_s ?? "-",
    });
  }
  return t("scenarios.flood_summary", { flooded: s.flooded_nodes ?? "-", depth: s.max_depth_m ?? "-" });
}

const clock = (iso) =>
  new Date(iso).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", hour12: false });

/** The latest look-ahead per hot spot as display rows, the most dangerous first. */
export function lookaheadRows(forecasts) {
  return [...forecasts]
    .sort((a, b) => b.max_density - a.max_density)
    .map((f) => ({
      zone: f.zone_id,
      camera: f.camera_id,
      issued: f.issued_at,
      density: f.max_density.toFixed(2),
      minutes: Math.round(f.peak_in_s / 60),
      peakAt: f.peak_at,
      band: f.band,
      rising: f.band !== f.level_now && f.max_density > f.seed.density,
      runId: f.run_id,
    }));
}

function renderLookaheads() {
  const list = $("#scenario-lookahead");
  if (!list) return;
  const rows = lookaheadRows(state.lookaheads);
  fill($("#scenario-lookahead-title"), t("scenarios.lookahead.title"));
  if (!rows.length) {
    fill(list, el("li", {}, t("scenarios.lookahead.none")));
    return;
  }
  fill(
    list,
    rows.map((row) =>
      el(
        "li",
        { className: row.rising ? "lookahead rising" : "lookahead" },
        el("strong", {}, `${row.zone} (${row.camera})`),
        " ",
        t("scenarios.lookahead.item", {
          issued: clock(row.issued),
          density: row.density,
          minutes: row.minutes,
          peak: clock(row.peakAt),
          band: t(`level.${row.band}`),
        }),
        " ",
        el("button", { type: "button", onclick: () => play(row.runId) }, t("scenarios.play")),
      ),
    ),
  );
}

function renderRuns() {
  const list = $("#scenario-runs");
  fill(
    list,
    state.runs.map((run) =>
      el(
        "li",
        { className: `scenario-run status-${run.status}` },
        el("input", {
          type: "checkbox",
          checked: state.selected.has(run.id),
          "aria-label": t("scenarios.select"),
          onchange: (event) => {
            if (event.target.checked) state.selected.add(run.id);
            else state.selected.delete(run.id);
          },
        }),
        el("strong", {}, run.name),
        " ",
        el("span", {}, t(`scenarios.status.${run.status}`)),
        " ",
        el("span", {}, run.status === "failed" ? run.error || "" : summaryText(run)),
        run.status === "done"
          ? el("button", { type: "button", onclick: () => play(run.id) }, t("scenarios.play"))
          : null,
      ),
    ),
  );
}

async function refresh() {
  try {
    state.runs = await listRuns();
    renderRuns();
    state.lookaheads = await latestLookaheads();
    renderLookaheads();
  } catch (error) {
    fill($("#scenario-status"), error.message);
  }
}

async function compareSelected() {
  const [a, b] = [...state.selected];
  const out = $("#scenario-compare");
  if (!a || !b || state.selected.size !== 2) {
    fill(out, t("scenarios.pick_two"));
    return;
  }
  const result = await compareRuns(a, b);
  const rows = Object.entries(result.summary)
    .filter(([key]) => key !== "zones")
    .map(([key, row]) => el("tr", {}, el("th", {}, key), el("td", {}, row.a), el("td", {}, row.b), el("td", {}, row.change)));
  fill(
    out,
    el(
      "table",
      {},
      el("tr", {}, el("th", {}, ""), el("th", {}, result.names[0]), el("th", {}, result.names[1]), el("th", {}, t("scenarios.change"))),
      rows,
    ),
  );
}

async function runSelectedFile() {
  const file = $("#scenario-file").value;
  if (!file) return;
  try {
    await startRun(file);
    fill($("#scenario-status"), t("scenarios.started", { file }));
    await refresh();
  } catch (error) {
    fill($("#scenario-status"), error.message);
  }
}

export function translateScenarios() {
  const panel = $("#scenarios");
  if (!panel) return;
  fill($("#scenarios-title"), t("scenarios.title"));
  fill($("#scenario-run"), t("scenarios.run"));
  fill($("#scenario-compare-button"), t("scenarios.compare"));
  fill($("#scenario-lookahead-note"), t("scenarios.lookahead.note"));
  renderRuns();
  renderLookaheads();
}

/** Build the panel (a folded box over the map) and start polling the run list. */
export async function startScenarios() {
  const host = document.querySelector(".map-panel");
  if (!host || $("#scenarios")) return;
  host.append(
    el(
      "details",
      { id: "scenarios", className: "scenarios-panel" },
      el("summary", { id: "scenarios-title" }),
      el(
        "div",
        { className: "scenario-controls" },
        el("select", { id: "scenario-file", "aria-label": "scenario" }),
        el("button", { id: "scenario-run", type: "button", onclick: runSelectedFile }),
        el("button", { id: "scenario-compare-button", type: "button", onclick: compareSelected }),
      ),
      el("p", { id: "scenario-status", className: "message", role: "status" }),
      el("h4", { id: "scenario-lookahead-title" }),
      el("p", { id: "scenario-lookahead-note", className: "message" }),
      el("ul", { id: "scenario-lookahead", className: "scenario-lookahead" }),
      el("ol", { id: "scenario-runs", className: "scenario-runs" }),
      el("div", { id: "scenario-compare" }),
    ),
  );
  translateScenarios();
  try {
    const files = await listFiles();
    fill($("#scenario-file"), files.map((f) => el("option", { value: f.file }, `${f.name} (${f.kind})`)));
  } catch (error) {
    // A role without statistics does not see what-ifs: leave the panel out.
    if (error.status === 403) {
      $("#scenarios").remove();
      return;
    }
  }
  await refresh();
  state.poll = setInterval(refresh, POLL_MS);
}
