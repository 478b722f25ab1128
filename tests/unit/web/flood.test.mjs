// web/flood.js under Node's test runner: a run's depths per step, and model beside camera.

import assert from "node:assert/strict";
import { test } from "node:test";

import { floodFeatures, floodResultOf, modelBesideCamera } from "../../../web/flood.js";

const RESULT = {
  scenario: "2022-08-08",
  nodes: 3,
  flooded_nodes: 1,
  max_depth_m: 0.4,
  node_results: [
    { id: "J1", lon: 126.95, lat: 37.54, max_depth_m: 0.4, flooded: true },
    { id: "J2", lon: 126.951, lat: 37.541, max_depth_m: 0.01, flooded: false },
    { id: "J3", lon: 126.952, lat: 37.542, max_depth_m: 0, flooded: false },
  ],
  series: { times_s: [300, 600, 900], depth_m: { J1: [0, 0.3, 0.1], J2: [0, 0.01, 0] } },
  camera_nodes: [{ camera_id: "cam-a", nodes: ["J1"], max_depth_m: 0.4, time_of_max_s: 700 }],
};

test("a stored run or the result itself; anything else is not a flood run", () => {
  assert.equal(floodResultOf(RESULT), RESULT);
  assert.equal(floodResultOf({ id: "r1", result: RESULT }), RESULT);
  assert.equal(floodResultOf({ kind: "crowd", result: { agents: 3 } }), null);
});

test("only inlets that were ever wet are drawn, with their depth at the step", () => {
  const collection = floodFeatures(RESULT, 1);
  assert.deepEqual(
    collection.features.map((f) => [f.id, f.properties.depth_m]),
    [
      ["J1", 0.3],
      ["J2", 0.01],
    ],
  );
  assert.equal(floodFeatures(RESULT, 99).features[0].properties.depth_m, 0.1);
});

test("each watching camera: modelled depth now and at most beside its latest flood observation", () => {
  const observations = new Map([
    [
      "cam-a",
      new Map([
        ["sidewalk/flood.level", { kind: "flood.level", value: 12, observed_at: "2026-12-06T03:00:00Z" }],
        ["sidewalk/flood.level-old", { kind: "flood.level", value: 3, observed_at: "2026-12-06T02:00:00Z" }],
        ["crossroads/crowd.count", { kind: "crowd.count", value: 9, observed_at: "2026-12-06T04:00:00Z" }],
      ]),
    ],
  ]);
  const [row] = modelBesideCamera(RESULT, observations, 1);
  assert.equal(row.cameraId, "cam-a");
  assert.equal(row.modelNowM, 0.3);
  assert.equal(row.modelMaxM, 0.4);
  assert.equal(row.observed.value, 12);
  assert.equal(modelBesideCamera(RESULT, new Map(), 0)[0].observed, null);
});
