// Entities other systems push to the twin (rain gauges, river-level sensors...): any entity
// with a point location whose type cctwin does not publish itself, as a marker with its value.

import * as maplibregl from "./vendor/maplibre-gl.mjs";
import { getNgsiEntities, getNgsiTypes } from "./api.js";
import { el } from "./dom.js";
import { formatValue } from "./i18n.js";

const OWN_TYPES = new Set(["Building", "Camera", "Device", "CrowdFlowObserved", "FloodMonitoring", "Alert"]);
// The attribute that best says what a sensor measures, in order; else the first number.
const MAIN_VALUES = ["waterLevel", "level", "precipitation", "rainfall", "value", "measurand",
  "temperature", "flow", "intensity"];
const REFRESH_MS = 10_000;
const markers = new Map(); // entity id -> {marker, element}

const shortType = (type) => String(type).split(/[/#]/).pop();

function valueOf(attr) {
  if (attr && typeof attr === "object" && "value" in attr) return attr.value;
  return attr;
}

/** "name: value unit" of an entity (normalised NGSI-LD), or its type when it holds no number. */
export function mainValue(entity) {
  const names = Object.keys(entity).filter((k) => !["id", "type", "location", "@context"].includes(k));
  const numeric = (name) => typeof valueOf(entity[name]) === "number";
  const name = MAIN_VALUES.find((n) => names.includes(n) && numeric(n)) || names.find(numeric);
  const title = valueOf(entity.name) || shortType(entity.type);
  if (!name) return String(title);
  const unit = entity[name]?.unitCode ? ` ${entity[name].unitCode}` : "";
  return `${title} · ${name} ${formatValue(valueOf(entity[name]))}${unit}`;
}

function point(entity) {
  const geometry = valueOf(entity.location);
  return geometry && geometry.type === "Point" ? geometry.coordinates : null;
}

async function refresh(map) {
  let entities = [];
  try {
    const types = (await getNgsiTypes()).typeList || [];
    const foreign = types.filter((name) => !OWN_TYPES.has(shortType(name)));
    if (foreign.length) entities = await getNgsiEntities(foreign);
  } catch (error) {
    console.warn(`foreign entities: ${error.message}`);
    return;
  }
  const seen = new Set();
  for (const entity of entities) {
    const at = point(entity);
    if (!at) continue;
    seen.add(entity.id);
    let entry = markers.get(entity.id);
    if (!entry) {
      const element = el("div", { className: "foreign-entity", dataset: { id: entity.id, type: shortType(entity.type) } });
      entry = { element, marker: new maplibregl.Marker({ element }).setLngLat(at).addTo(map) };
      markers.set(entity.id, entry);
    }
    entry.marker.setLngLat(at);
    entry.element.textContent = mainValue(entity);
  }
  for (const [id, entry] of markers) {
    if (!seen.has(id)) {
      entry.marker.remove();
      markers.delete(id);
    }
  }
}

export function addForeignLayer(map) {
  if (!map) return;
  refresh(map);
  setInterval(() => refresh(map), REFRESH_MS);
}
