// The district map: boundary, site layers, the 3D site model, cameras with their ground
// footprints (view cones only for cameras without one), and a camera popup.
// MapLibre comes from web/vendor (`make web`), never a CDN.

import * as maplibregl from "./vendor/maplibre-gl.mjs";
import { getCamerasGeojson, getSiteLayer } from "./api.js";
import { healthLine } from "./camerahealth.js";
import { addDistrict3d, addFootprints, modelToggles, refreshFootprints } from "./district3d.js";
import { $, el } from "./dom.js";
import { toast } from "./header.js";
import { t } from "./i18n.js";
import { cameraFeature, data, on } from "./state.js";
import { createTile } from "./wall.js";

const STATE_COLOURS = {
  online: "#3ddc84",
  reconnecting: "#f5a623",
  offline: "#ff4d5e",
  starting: "#8a97ad",
};

let map = null;
let popup = null;
let popupCameraId = null;
let geojsonTimer = null;

export const getMap = () => map;

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

/** The map, or an Error when the browser cannot draw it (no WebGL). */
export function createMap(site) {
  // No basemap tiles (offline, and no licence to ship): a dark background and our own layers.
  const style = {
    version: 8,
    sources: {},
    layers: [{ id: "background", type: "background", paint: { "background-color": "#0a1018" } }],
  };
  map = new maplibregl.Map({
    container: "map",
    style,
    center: site.center,
    zoom: site.zoom,
    // Tilted when there are buildings to see in 3D; a flat district reads better from above.
    pitch: site.model && site.model.counts && site.model.counts.buildings ? 50 : 0,
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

export function whenLoaded() {
  return new Promise((resolve) => {
    if (map.loaded()) resolve();
    else map.once("load", resolve);
  });
}

export async function waitForIdle() {
  await new Promise((resolve) => {
    map.once("idle", resolve);
    map.triggerRepaint();
  });
}

export function addMapLayers(district) {
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

  map.addSource("cameras", { type: "geojson", data: data.camerasGeojson });
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

export async function addSiteLayers(layers, site = null) {
  const toggles = $("#layer-toggles");
  toggles.replaceChildren();
  for (const layer of layers) {
    let layerData;
    try {
      layerData = await getSiteLayer(layer.id);
    } catch (error) {
      toast(`${layer.name}: ${error.message}`);
      continue;
    }
    const source = `layer-${layer.id}`;
    map.addSource(source, { type: "geojson", data: layerData });
    // One GeoJSON file may mix polygons, lines and points; each gets its own style.
    const ids = [`${source}-fill`, `${source}-line`, `${source}-point`];
    const polygon = ["match", ["geometry-type"], ["Polygon", "MultiPolygon"], true, false];
    const point = ["match", ["geometry-type"], ["Point", "MultiPoint"], true, false];
    const styles = [
      { type: "fill", filter: polygon, paint: { "fill-color": layer.color, "fill-opacity": 0.25 } },
      { type: "line", filter: ["!", point], paint: { "line-color": layer.color, "line-width": 1.5 } },
      { type: "circle", filter: point, paint: { "circle-color": layer.color, "circle-radius": 4 } },
    ];
    styles.forEach((style, index) => map.addLayer({ id: ids[index], source, ...style }, "camera-fov"));
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
  if (site) await addTwinLayers(site);
}

// The site model under the cameras, then footprints; cones stay only if no camera has a footprint.
async function addTwinLayers(site) {
  const modelLayers = await addDistrict3d(map, site, "district-line");
  modelToggles(map, modelLayers);
  const hasFootprints = await addFootprints(map, "camera-selected", stateColourExpression());
  if (hasFootprints) {
    for (const id of ["camera-fov", "camera-fov-line"]) map.setLayoutProperty(id, "visibility", "none");
  }
}

export async function refreshCamerasGeojson() {
  if (data.replayAt) return; // replay shows the cameras as they were then (replay.js)
  try {
    data.camerasGeojson = await getCamerasGeojson();
  } catch (error) {
    toast(error.message);
    return;
  }
  const source = map && map.getSource("cameras");
  if (source) source.setData(data.camerasGeojson);
  await refreshFootprints(map);
}

// Camera SSE messages come in bursts (one per camera per status interval); redraw once per burst.
function scheduleCamerasGeojson() {
  clearTimeout(geojsonTimer);
  geojsonTimer = setTimeout(refreshCamerasGeojson, 300);
}

function highlightCamera(cameraId) {
  if (!map || !map.getLayer("camera-selected")) return;
  map.setFilter("camera-selected", [
    "all",
    ["==", ["get", "kind"], "camera"],
    ["==", ["get", "camera_id"], cameraId || ""],
  ]);
}

function openCameraPopup(cameraId) {
  const feature = cameraFeature(cameraId);
  if (!feature || !map) return;
  if (popup) popup.remove();
  popupCameraId = cameraId;
  highlightCamera(cameraId);
  const opened = new maplibregl.Popup({ closeButton: true, maxWidth: "360px", className: "camera-popup" })
    .setLngLat(feature.geometry.coordinates)
    .setDOMContent(renderPopupContent(cameraId))
    .addTo(map);
  translateMapControls(); // the map's locale was fixed when it was built
  opened.on("close", () => {
    if (popup === opened) {
      popup = null;
      popupCameraId = null;
      highlightCamera(null);
    }
  });
  popup = opened;
}

function renderPopupContent(cameraId) {
  const feature = cameraFeature(cameraId);
  const props = feature ? feature.properties : {};
  const cameraState = data.cameras.get(cameraId)?.state || props.state || "starting";
  return el(
    "div",
    { className: "popup-body" },
    createTile(cameraId, { compact: true }),
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
    healthLine(cameraId),
  );
}

function focusCamera({ cameraId, popup: withPopup }) {
  const feature = cameraFeature(cameraId);
  if (!feature || !map) return;
  if (withPopup) openCameraPopup(cameraId);
  else highlightCamera(cameraId);
  map.easeTo({ center: feature.geometry.coordinates });
}

/** Relabel the map's controls and the open popup for the new language. */
export function translateMap() {
  if (popupCameraId && popup) popup.setDOMContent(renderPopupContent(popupCameraId));
  translateMapControls();
}

export function startMap() {
  on("camera", ({ stateChanged }) => {
    if (stateChanged) scheduleCamerasGeojson();
  });
  on("focus-camera", focusCamera);
}
