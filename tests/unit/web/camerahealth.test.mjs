// web/camerahealth.js under Node's test runner: the worst reason colours each placed camera.

import assert from "node:assert/strict";
import { test } from "node:test";

import { healthFeatures, worstReason } from "../../../web/camerahealth.js";

const point = (id) => ({
  type: "Feature",
  geometry: { type: "Point", coordinates: [126.95, 37.54] },
  properties: { kind: "camera", camera_id: id },
});

test("the worst raised reason wins; offline state beats every picture fault", () => {
  assert.equal(worstReason({ state: "online", health: { reasons: ["under_2mp", "blurred", "moved"] } }), "moved");
  assert.equal(worstReason({ state: "online", health: { reasons: [] } }), "ok");
  assert.equal(worstReason({ state: "offline", health: { reasons: ["dark"] } }), "offline");
  assert.equal(worstReason({ state: "online", health: null }), null);
});

test("audited, placed cameras get a ring; fields of view and unaudited cameras do not", () => {
  const geojson = {
    features: [point("a"), point("b"), { ...point("a"), properties: { kind: "fov", camera_id: "a" } }],
  };
  const cameras = new Map([
    ["a", { state: "online", health: { reasons: ["covered"], megapixels: 0.44 } }],
    ["b", { state: "starting", health: null }],
  ]);
  const collection = healthFeatures(geojson, cameras);
  assert.equal(collection.features.length, 1);
  assert.equal(collection.features[0].properties.worst, "covered");
  assert.equal(collection.features[0].properties.megapixels, 0.44);
});
