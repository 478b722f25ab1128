// web/scenarios.js under Node's test runner: zone colours follow the risk bands; frames to GeoJSON.

import assert from "node:assert/strict";
import { test } from "node:test";

import { bandColour, frameGeojson, lookaheadRows } from "../../../web/scenarios.js";

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

test("the latest look-ahead per hot spot: most dangerous first, minutes to the peak", () => {
  const forecast = (zone, max, band, now, seed) => ({
    zone_id: zone, camera_id: "gate4", issued_at: "2026-07-01T12:00:00Z", max_density: max,
    peak_in_s: 250, peak_at: "2026-07-01T12:04:10Z", band, level_now: now,
    seed: { density: seed }, run_id: `run-${zone}`,
  });
  const rows = lookaheadRows([forecast("a", 3.1, "caution", "caution", 3.2), forecast("b", 4.6, "alert", "caution", 3.5)]);
  assert.deepEqual(rows.map((r) => r.zone), ["b", "a"]);
  assert.equal(rows[0].density, "4.60");
  assert.equal(rows[0].minutes, 4);
  assert.equal(rows[0].rising, true);
  assert.equal(rows[1].rising, false);
  assert.equal(rows[0].runId, "run-b");
});
