// The district in 3D from the site model (buildings extruded to their heights, roads at their
// widths, parks, trails, POIs), camera ground footprints and zones drawn on the map.

import { getSiteFootprints, getSiteLayer, getSiteZones } from "./api.js";
import { $, el } from "./dom.js";
import { toast } from "./header.js";
import { t } from "./i18n.js";

const COLOURS = {
  parks: "#1f5c3a",
  roads: "#4a5568",
  trails: "#c9a96e",
  buildings: "#8fa3bf",
  pois: "#e0c36a",
  footprint: "#3ddc84",
  imageZone: "#ffd84d",
  mapZone: "#5fa8e8",
  partZone: "#f5a623",
  unseenZone: "#ff4d5e",
};
// Metres per pixel at zoom z and Seoul's latitude is 124,196 / 2^z: a road's width in pixels
// follows the zoom exponentially so that it keeps its width in metres.
const PX_PER_METRE_Z10 = 1024 / 124196;
const PX_PER_METRE_Z22 = 4194304 / 124196;

function metresWide(fallback) {
  const width = ["coalesce", ["get", "width_m"], fallback];
  return [
    "interpolate",
    ["exponential", 2],
    ["zoom"],
    10,
    ["max", 0.5, ["*", width, PX_PER_METRE_Z10]],
    22,
    ["*", width, PX_PER_METRE_Z22],
  ];
}

const MODEL_LAYERS = {
  parks: [{ type: "fill", paint: { "fill-color": COLOURS.parks, "fill-opacity": 0.55 } }],
  roads: [{ type: "line", paint: { "line-color": COLOURS.roads, "line-width": metresWide(6) } }],
  trails: [
    {
      type: "line",
      paint: { "line-color": COLOURS.trails, "line-width": metresWide(2), "line-dasharray": [2, 1] },
    },
  ],
  pois: [{ type: "circle", paint: { "circle-color": COLOURS.pois, "circle-radius": 3 } }],
};

/** Ground layers of the site model (drawn under the cameras), then the 3D buildings on top. */
export async function addDistrict3d(map, site, beforeId) {
  const counts = (site.model && site.model.counts) || {};
  if (site.attribution) $("#osm-attribution").textContent = ` · ${site.attribution}`;
  const toggles = [];
  for (const kind of ["parks", "roads", "trails", "pois", "buildings"]) {
    if (!counts[kind]) continue;
    let collection;
    try {
      collection = await getSiteLayer(kind);
    } catch (error) {
      toast(`${t(`map.layer.${kind}`)}: ${error.message}`);
      continue;
    }
    const source = `site-${kind}`;
    map.addSource(source, { type: "geojson", data: collection });
    const styles = kind === "buildings" ? [buildingStyle()] : MODEL_LAYERS[kind];
    const ids = styles.map((style, index) => {
      const id = `${source}-${index}`;
      map.addLayer({ id, source, ...style }, kind === "buildings" ? undefined : beforeId);
      return id;
    });
    toggles.push({ kind, ids });
  }
  return toggles;
}

function buildingStyle() {
  return {
    type: "fill-extrusion",
    paint: {
      "fill-extrusion-color": COLOURS.buildings,
      "fill-extrusion-height": ["coalesce", ["get", "height_m"], 9],
      "fill-extrusion-base": 0,
      "fill-extrusion-opacity": 0.82,
    },
  };
}

/** Footprints (coloured by camera state), image zones on the ground and map zones. */
export async function addFootprints(map, beforeId, stateColour) {
  let footprints;
  let zones;
  try {
    [footprints, zones] = await Promise.all([getSiteFootprints(), getSiteZones()]);
  } catch (error) {
    toast(error.message);
    return false;
  }
  map.addSource("footprints", { type: "geojson", data: footprints });
  map.addSource("map-zones", { type: "geojson", data: zones });
  const isFootprint = ["==", ["get", "kind"], "footprint"];
  const isImageZone = ["==", ["get", "kind"], "image_zone"];
  // Blue: cameras see all of it; amber: part of it; red: none (the API's warning says so).
  const share = ["get", "visible_share"];
  const zoneColour = ["case", ["<=", share, 0], COLOURS.unseenZone, ["<", share, 0.999],
    COLOURS.partZone, COLOURS.mapZone];
  const layers = [
    { id: "footprint-fill", type: "fill", source: "footprints", filter: isFootprint,
      paint: { "fill-color": stateColour, "fill-opacity": 0.22 } },
    { id: "footprint-line", type: "line", source: "footprints", filter: isFootprint,
      paint: { "line-color": stateColour, "line-width": 1.5 } },
    { id: "image-zone-line", type: "line", source: "footprints", filter: isImageZone,
      paint: { "line-color": COLOURS.imageZone, "line-width": 1, "line-dasharray": [3, 2] } },
    { id: "map-zone-fill", type: "fill", source: "map-zones",
      paint: { "fill-color": zoneColour, "fill-opacity": 0.18 } },
    { id: "map-zone-line", type: "line", source: "map-zones",
      paint: { "line-color": zoneColour, "line-width": 2 } },
  ];
  for (const layer of layers) map.addLayer(layer, beforeId);
  return footprints.features.some((f) => f.properties.kind === "footprint");
}

export async function refreshFootprints(map) {
  const source = map && map.getSource("footprints");
  if (!source) return;
  try {
    source.setData(await getSiteFootprints());
  } catch (error) {
    toast(error.message);
  }
}

/** One checkbox per site-model layer, next to the configured layers' toggles. */
export function modelToggles(map, toggles) {
  const box = $("#layer-toggles");
  for (const { kind, ids } of toggles) {
    const checkbox = el("input", { type: "checkbox", checked: true });
    checkbox.addEventListener("change", () => {
      for (const id of ids) map.setLayoutProperty(id, "visibility", checkbox.checked ? "visible" : "none");
    });
    const label = el("span", { dataset: { i18n: `map.layer.${kind}` } }, t(`map.layer.${kind}`));
    box.append(
      el(
        "label",
        { className: "layer-toggle" },
        checkbox,
        el("span", { className: "swatch", style: `background:${COLOURS[kind]}` }),
        label,
      ),
    );
  }
}
