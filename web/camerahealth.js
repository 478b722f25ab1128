// Picture quality on the map: a ring around each camera coloured by its worst reason
// (offline, covered, moved, frozen, dark, blurred, under 2 MP, ok) from the quality audit.

import { el } from "./dom.js";
import { t } from "./i18n.js";
import { data, on } from "./state.js";

const SOURCE = "camera-health";
// Worst first: the same order as the service's HealthReason.
export const REASONS = ["offline", "covered", "moved", "frozen", "dark", "blurred", "under_2mp"];
export const HEALTH_COLOURS = {
  offline: "#ff4d4d",
  covered: "#ff3df5",
  moved: "#ff9f1a",
  frozen: "#4dd2ff",
  dark: "#8c7bff",
  blurred: "#c8b400",
  under_2mp: "#9aa5b1",
  ok: "#3ddc84",
};

let map = null;
let pending = false;

/** The worst reason of a camera (GET /api/cameras item), "ok", or null before any audit. */
export function worstReason(camera) {
  if (!camera) return null;
  if (camera.state === "offline") return "offline";
  const health = camera.health;
  if (!health) return null;
  const reasons = health.reasons || [];
  return REASONS.find((reason) => reasons.includes(reason)) || "ok";
}

/** A ring per placed camera that has been audited, with its worst reason. */
export function healthFeatures(camerasGeojson, cameras) {
  const features = [];
  for (const feature of camerasGeojson.features || []) {
    if (feature.properties?.kind !== "camera") continue;
    const camera = cameras.get(feature.properties.camera_id);
    const worst = worstReason(camera);
    if (!worst) continue;
    features.push({
      type: "Feature",
      geometry: feature.geometry,
      properties: {
        camera_id: feature.properties.camera_id,
        worst,
        megapixels: camera.health?.megapixels ?? null,
      },
    });
  }
  return { type: "FeatureCollection", features };
}

function colourExpression() {
  const pairs = Object.entries(HEALTH_COLOURS).flat();
  return ["match", ["get", "worst"], ...pairs, HEALTH_COLOURS.ok];
}

function redraw() {
  pending = false;
  const source = map && map.getSource(SOURCE);
  if (source) source.setData(healthFeatures(data.camerasGeojson, data.cameras));
}

/** Add the rings under the camera points; camera updates redraw them once per frame. */
export function addHealthLayer(loadedMap) {
  map = loadedMap;
  map.addSource(SOURCE, { type: "geojson", data: healthFeatures(data.camerasGeojson, data.cameras) });
  map.addLayer(
    {
      id: SOURCE,
      type: "circle",
      source: SOURCE,
      paint: {
        "circle-radius": 11,
        "circle-color": "rgba(0,0,0,0)",
        "circle-stroke-color": colourExpression(),
        "circle-stroke-width": 3,
      },
    },
    map.getLayer("camera-point") ? "camera-point" : undefined,
  );
  on("camera", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(redraw);
  });
}

/** One line for the camera popup: resolution and the raised reasons (or picture OK). */
export function healthLine(cameraId) {
  const camera = data.cameras.get(cameraId);
  const worst = worstReason(camera);
  if (!worst) return el("p", { className: "popup-meta" }, t("health.reference"));
  const reasons = camera.state === "offline" ? ["offline"] : camera.health?.reasons || [];
  const words = reasons.length ? reasons.map((reason) => t(`health.${reason}`)).join(", ") : t("health.ok");
  const megapixels = camera.health ? t("health.megapixels", { value: camera.health.megapixels.toFixed(1) }) : "";
  return el(
    "p",
    { className: "popup-meta" },
    `${t("health.title")}: `,
    el("span", { style: `color: ${HEALTH_COLOURS[worst]}` }, words),
    megapixels ? ` · ${megapixels}` : "",
  );
}
