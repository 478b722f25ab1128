// Entities other systems push to the twin (rain gauges, river-level sensors...): any entity
// with a point location whose type cctwin does not publish itself, as a marker with its value.

import * as maplibregl from "./vendor/maplibre-gl.mjs";
import { getNgsiEntities, getNgsiTypes } from "./api.js";
import { el } from "./dom.js";
import { formatValue } from "./i18n.js";
import { data } from "./state.js";

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
  if (data.replayAt) return; // replay shows these sensors as they were (showOthersAt)
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

/** Replay: each known sensor's values at the replayed moment ("–" where it had none then). */
export function showOthersAt(others) {
  const then = new Map(others.map((o) => [o.entity_id, o]));
  for (const [id, entry] of markers) {
    const other = then.get(id);
    entry.element.classList.add("replayed");
    entry.element.textContent = other
      ? mainValue({ id, type: other.type, ...other.values })
      : `${shortType(entry.element.dataset.type)} · –`;
  }
}

/** Back to live: markers show the broker's current values again. */
export function showOthersLive(map) {
  for (const entry of markers.values()) entry.element.classList.remove("replayed");
  if (map) refresh(map);
}

export function addForeignLayer(map) {
  if (!map) return;
  refresh(map);
  setInterval(() => refresh(map), REFRESH_MS);
}
