// web/scenarios.js under Node's test runner: zone colours follow the risk bands; frames to GeoJSON.

import assert from "node:assert/strict";
import { test } from "node:test";

import { bandColour, frameGeojson } from "../../../web/scenarios.js";

const BANDS = [
  { name: "caution", persons_per_m2: 3 },
  { name: "alert", persons_per_m2: 4 },
  { name: "severe", persons_per_m2: 5 },
];

test("a zone is calm below the first band and takes the highest band it entered", () => {
  assert.equal(bandColour(0.5, BANDS), "#27ae60");
  assert.equal(bandColour(3.0, BANDS), "#f2c94c");
  assert.equal(bandColour(4.5, [...BANDS].reverse()), "#f2994a");
  assert.equal(bandColour(9, BANDS), "#eb5757");
});

test("a stored frame becomes agent points and zones coloured by their density then", () => {
  const result = {
    times: [0, 1, 2, 3, 4, 5],
    frame_times: [0, 5],
    frames: [[[126.95, 37.54]], [[126.951, 37.541], [126.952, 37.542]]],
    bands: BANDS,
    zones: [
      {
        zone_id: "gate",
        density: [0, 0.5, 1, 2, 3, 4.2],
        outline: { type: "Polygon", coordinates: [[[0, 0], [1, 0], [1, 1], [0, 0]]] },
      },
    ],
  };
  const frame = frameGeojson(result, 1);
  assert.equal(frame.time, 5);
  assert.equal(frame.agents.features.length, 2);
  assert.deepEqual(frame.agents.features[1].geometry.coordinates, [126.952, 37.542]);
  assert.equal(frame.zones.features[0].properties.density, 4.2);
  assert.equal(frame.zones.features[0].properties.colour, "#f2994a");
});
