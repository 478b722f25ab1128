// Camera planning on the map: blind spots (a toggle), covered share by class, and a plan panel
// (K new cameras: before and after, proposed cameras with their footprints).

import { getPlanningCoverage, postPlan } from "./api.js";
import { $, el } from "./dom.js";
import { toast } from "./header.js";
import { t } from "./i18n.js";

const EMPTY = { type: "FeatureCollection", features: [] };
const BLIND = "#e5484d";
const PLANNED = "#f5a524";
const CLASSES = ["roads", "parks", "trails"];

const percent = (value) => `${(100 * value).toFixed(1)}%`;

let panel = null;
let lastCoverage = null;
let lastPlan = null;

/** The blind-spot and planned-camera layers, their toggle, and the panel; call once the map is loaded. */
export async function startPlanning(map) {
  map.addSource("blind-spots", { type: "geojson", data: EMPTY });
  map.addSource("planned-cameras", { type: "geojson", data: EMPTY });
  map.addLayer({ id: "blind-spot-fill", type: "fill", source: "blind-spots",
    paint: { "fill-color": BLIND, "fill-opacity": 0.28 } });
  map.addLayer({ id: "planned-footprint-fill", type: "fill", source: "planned-cameras",
    filter: ["==", ["get", "kind"], "planned_footprint"],
    paint: { "fill-color": PLANNED, "fill-opacity": 0.35 } });
  map.addLayer({ id: "planned-camera", type: "circle", source: "planned-cameras",
    filter: ["==", ["get", "kind"], "planned_camera"],
    paint: { "circle-color": PLANNED, "circle-radius": 6, "circle-stroke-color": "#fff",
      "circle-stroke-width": 1.5 } });
  addToggle(map);
  panel = buildPanel(map);
  $(".map-panel").append(panel);
  await loadCoverage(map);
}

function addToggle(map) {
  const checkbox = el("input", { type: "checkbox", checked: true });
  checkbox.addEventListener("change", () => {
    map.setLayoutProperty("blind-spot-fill", "visibility", checkbox.checked ? "visible" : "none");
  });
  $("#layer-toggles").append(
    el("label", { className: "layer-toggle" }, checkbox,
      el("span", { className: "swatch", style: `background:${BLIND}` }),
      el("span", { dataset: { i18n: "planning.layer.blind_spots" } }, t("planning.layer.blind_spots"))),
  );
}

function buildPanel(map) {
  const input = el("input", { type: "number", min: "1", max: "100", value: "5", id: "plan-add" });
  const button = el("button", { type: "button", id: "plan-run" }, t("planning.run"));
  button.addEventListener("click", () => runPlan(map, Number(input.value), button));
  return el("div", { className: "planning-panel", id: "planning-panel" },
    el("strong", { dataset: { i18n: "planning.title" } }, t("planning.title")),
    el("div", { id: "planning-coverage" }),
    el("label", {}, el("span", { dataset: { i18n: "planning.add" } }, t("planning.add")), input),
    button,
    el("div", { id: "planning-result" }));
}

async function loadCoverage(map) {
  try {
    lastCoverage = await getPlanningCoverage();
  } catch (error) {
    toast(t("planning.error", { detail: error.message }));
    return;
  }
  map.getSource("blind-spots").setData(lastCoverage.blind_spots);
  renderCoverage();
}

function renderCoverage() {
  const box = $("#planning-coverage");
  if (!box || !lastCoverage) return;
  const rows = CLASSES.map((name) =>
    el("li", {}, `${t(`map.layer.${name}`)} ${percent(lastCoverage.by_class[name].fraction)}`));
  const notPlaced = lastCoverage.not_placed.length
    ? el("div", {}, t("planning.not_placed", { cameras: lastCoverage.not_placed.join(", ") }))
    : "";
  box.replaceChildren(
    el("div", {}, t("planning.coverage", { value: percent(lastCoverage.covered_fraction) })),
    el("ul", { className: "planning-classes" }, ...rows),
    notPlaced);
}

async function runPlan(map, add, button) {
  if (!Number.isInteger(add) || add < 1) return;
  button.disabled = true;
  button.textContent = t("planning.running");
  try {
    lastPlan = await postPlan(add);
  } catch (error) {
    toast(t("planning.error", { detail: error.message }));
    return;
  } finally {
    button.disabled = false;
    button.textContent = t("planning.run");
  }
  map.getSource("planned-cameras").setData(plannedGeojson(lastPlan));
  renderPlan();
}

function plannedGeojson(plan) {
  const features = [];
  for (const camera of plan.cameras) {
    const properties = { heading_deg: camera.heading_deg, fov_deg: camera.fov_deg };
    features.push({ type: "Feature", properties: { ...properties, kind: "planned_footprint" },
      geometry: camera.footprint });
    features.push({ type: "Feature", properties: { ...properties, kind: "planned_camera" },
      geometry: { type: "Point", coordinates: [camera.lon, camera.lat] } });
  }
  return { type: "FeatureCollection", features };
}

function renderPlan() {
  const box = $("#planning-result");
  if (!box || !lastPlan) return;
  const gap = lastPlan.optimality_gap === null ? "-" : percent(lastPlan.optimality_gap);
  const cameras = lastPlan.cameras.map((c) =>
    el("li", {}, t("planning.camera", { heading: Math.round(c.heading_deg), fov: Math.round(c.fov_deg) })));
  box.replaceChildren(
    el("div", {}, t("planning.result", { before: percent(lastPlan.before), after: percent(lastPlan.after), gap })),
    el("div", {}, t("planning.greedy", { after: percent(lastPlan.greedy.after) })),
    el("ol", { className: "planning-cameras" }, ...cameras));
}

/** Redraw the panel's words after a language change. */
export function translatePlanning() {
  if (!panel) return;
  const button = $("#plan-run");
  if (button && !button.disabled) button.textContent = t("planning.run");
  renderCoverage();
  renderPlan();
}
