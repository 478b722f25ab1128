// web/objects.js under Node's test runner: positions become map points, unplaced ones are left out.

import assert from "node:assert/strict";
import { test } from "node:test";

import { objectFeatures } from "../../../web/objects.js";
import * as state from "../../../web/state.js";

test("each camera's latest positions become points; a new frame replaces the old one", () => {
  const told = [];
  state.on("positions", (payload) => told.push(payload.cameraId));
  state.rememberPositions({
    camera_id: "a",
    captured_at: "2026-12-06T03:00:00Z",
    objects: [
      { track_id: 1, class_name: "person", x: 0.5, y: 0.9, lon: 126.95, lat: 37.54 },
      { track_id: 2, class_name: "car", x: 0.1, y: 0.8, lon: null, lat: null },
    ],
  });
  state.rememberPositions({ camera_id: "b", captured_at: "2026-12-06T03:00:00Z", objects: [] });
  state.rememberPositions({
    camera_id: "a",
    captured_at: "2026-12-06T03:00:01Z",
    objects: [{ track_id: 1, class_name: "person", x: 0.52, y: 0.9, lon: 126.9501, lat: 37.54 }],
  });
  const collection = objectFeatures(state.data.positions);
  assert.deepEqual(told, ["a", "b", "a"]);
  assert.equal(collection.features.length, 1);
  assert.deepEqual(collection.features[0].geometry.coordinates, [126.9501, 37.54]);
  assert.equal(collection.features[0].properties.class_name, "person");
});
