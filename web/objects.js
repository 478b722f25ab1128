// Tracked people and vehicles as moving points on the map, at each camera's analysed rate.
// The positions come from the workers' ground anchors (only cameras with a geo-calibration
// have map positions); nothing identifying is sent, only per-camera track numbers.

import { data, on } from "./state.js";

const SOURCE = "tracked-objects";
const COLOURS = ["match", ["get", "class_name"], "person", "#ffd84d", "#4dd2ff"];

let map = null;
let pending = false;

/** The features of every camera's latest positions that have a place on the map. */
export function objectFeatures(positions) {
  const features = [];
  for (const frame of positions.values()) {
    for (const object of frame.objects || []) {
      if (object.lon === null || object.lat === null || object.lon === undefined) continue;
      features.push({
        type: "Feature",
        geometry: { type: "Point", coordinates: [object.lon, object.lat] },
        properties: {
          camera_id: frame.camera_id,
          track_id: object.track_id,
          class_name: object.class_name,
        },
      });
    }
  }
  return { type: "FeatureCollection", features };
}

function redraw() {
  pending = false;
  const source = map && map.getSource(SOURCE);
  if (source) source.setData(objectFeatures(data.positions));
}

/** Add the layer to a loaded map; later positions redraw it once per animation frame. */
export function addObjectLayer(loadedMap) {
  map = loadedMap;
  map.addSource(SOURCE, { type: "geojson", data: objectFeatures(data.positions) });
  map.addLayer({
    id: SOURCE,
    type: "circle",
    source: SOURCE,
    paint: {
      "circle-radius": 4,
      "circle-color": COLOURS,
      "circle-stroke-color": "#0a1018",
      "circle-stroke-width": 1,
    },
  });
  on("positions", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(redraw);
  });
}
