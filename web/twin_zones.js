// Zone values on the map (live or replayed): each camera zone's ground coloured by its density,
// with a label of people, persons/m² over the visible walkable area, and its level.

import * as maplibregl from "./vendor/maplibre-gl.mjs";
import { el } from "./dom.js";
import { formatValue, t, tOr } from "./i18n.js";

const EMPTY = { type: "FeatureCollection", features: [] };
// Persons per m²: free flow under 0.5, crowded from 2, dangerous past 4 (Fruin's levels of service).
const DENSITY_COLOURS = ["interpolate", ["linear"], ["coalesce", ["get", "density"], 0],
  0, "#2f6f4f", 0.5, "#3ddc84", 2, "#f5a623", 4, "#ff4d5e"];
const markers = new Map(); // "camera:zone" -> {marker, element}
let zoneFeatures = []; // image_zone features of the footprints source
let shownDensities = ""; // what the zone layer holds, so an unchanged state redraws nothing

const keyOf = (cameraId, zoneId) => `${cameraId}:${zoneId}`;

function centroid(geometry) {
  const ring = geometry.type === "Polygon" ? geometry.coordinates[0] : geometry.coordinates[0][0];
  const points = ring.slice(0, -1);
  const sum = points.reduce((acc, [x, y]) => [acc[0] + x, acc[1] + y], [0, 0]);
  return [sum[0] / points.length, sum[1] / points.length];
}

/** The zone layer under the 3D buildings, from the footprints source's image zones. */
export async function addZoneLayer(map) {
  const footprints = map.getSource("footprints");
  if (!footprints) return false;
  const collection = await footprints.getData();
  zoneFeatures = collection.features.filter((f) => f.properties.kind === "image_zone");
  map.addSource("twin-zones", { type: "geojson", data: EMPTY });
  map.addLayer({ id: "twin-zone-fill", type: "fill", source: "twin-zones",
    paint: { "fill-color": DENSITY_COLOURS, "fill-opacity": 0.45 } }, "footprint-line");
  for (const feature of zoneFeatures) {
    const { camera_id: cameraId, zone_id: zoneId } = feature.properties;
    const element = el("div", { className: "zone-density", dataset: { zone: keyOf(cameraId, zoneId) } });
    const marker = new maplibregl.Marker({ element }).setLngLat(centroid(feature.geometry)).addTo(map);
    markers.set(keyOf(cameraId, zoneId), { marker, element });
  }
  return zoneFeatures.length > 0;
}

function label(zone) {
  const values = zone.values;
  const parts = [];
  if (values.peopleCount !== undefined) parts.push(t("twin.people", { count: values.peopleCount }));
  if (values.density !== undefined) {
    parts.push(t("twin.density", { value: formatValue(Number(values.density)) }));
  }
  if (values.currentLevel !== undefined) {
    parts.push(t("twin.water_level", { value: formatValue(Number(values.currentLevel)) }));
  }
  const level = values.riskLevel ?? values.floodLevelStatus;
  if (level) parts.push(tOr(`level.${String(level).toLowerCase()}`, level));
  return parts.join(" · ");
}

/** Show a twin state's zones (GET /api/twin/at); zones without values there read "no data". */
export function showZones(map, state) {
  const byKey = new Map();
  for (const zone of state.zones) {
    const key = keyOf(zone.camera_id, zone.zone_id);
    byKey.set(key, { ...(byKey.get(key) || {}), ...zone, values: { ...(byKey.get(key)?.values || {}), ...zone.values } });
  }
  const features = [];
  for (const feature of zoneFeatures) {
    const key = keyOf(feature.properties.camera_id, feature.properties.zone_id);
    const zone = byKey.get(key);
    const density = zone && zone.values.density !== undefined ? Number(zone.values.density) : null;
    features.push({ ...feature, properties: { ...feature.properties, density } });
    const entry = markers.get(key);
    if (!entry) continue;
    const text = zone ? label(zone) : t("twin.no_data");
    const name = feature.properties.name || feature.properties.zone_id;
    entry.element.textContent = `${name}: ${text}`;
    entry.element.dataset.density = density === null ? "" : String(density);
    entry.element.dataset.level = zone ? String(zone.values.riskLevel ?? zone.values.floodLevelStatus ?? "") : "";
  }
  const key = JSON.stringify(features.map((f) => f.properties.density));
  const source = map.getSource("twin-zones");
  if (key === shownDensities) return;
  shownDensities = key;
  if (source) source.setData({ type: "FeatureCollection", features: features.filter((f) => f.properties.density !== null) });
}
