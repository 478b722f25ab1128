// web/state.js under Node's test runner: each change is told once, for the one item it concerns.

import assert from "node:assert/strict";
import { test } from "node:test";

import * as state from "../../../web/state.js";

const told = [];
for (const topic of ["alert", "event", "events", "camera", "selection"]) {
  state.on(topic, (payload) => told.push([topic, payload]));
}

function alert(id, status, updated, opened = "2026-12-06T01:00:00Z") {
  return {
    id,
    status,
    severity: "high",
    opened_at: opened,
    updated_at: updated,
    camera_id: "cam",
    event_ids: [id],
    allowed_transitions: [],
  };
}

test("a listed alert that did not change is not told again", () => {
  told.length = 0;
  state.upsertAlert(alert("a", "new", "2026-12-06T01:00:00Z"));
  state.replaceAlerts([
    alert("a", "new", "2026-12-06T01:00:00Z"),
    alert("b", "new", "2026-12-06T01:00:01Z"),
  ]);
  assert.deepEqual(
    told.map(([topic, p]) => [topic, p.alert.id, p.open]),
    [
      ["alert", "a", true],
      ["alert", "b", true],
    ],
  );
});

test("an older copy never overwrites a newer one, and closing removes the alert", () => {
  told.length = 0;
  state.upsertAlert(alert("a", "acknowledged", "2026-12-06T01:00:05Z"));
  state.upsertAlert(alert("a", "new", "2026-12-06T01:00:00Z")); // a slow fetch's stale copy
  assert.equal(state.data.alerts.get("a").status, "acknowledged");
  state.replaceAlerts([alert("a", "acknowledged", "2026-12-06T01:00:05Z")]); // b is gone
  assert.deepEqual(
    told.map(([, p]) => [p.alert.id, p.alert.status, p.open]),
    [
      ["a", "acknowledged", true],
      ["b", "new", false],
    ],
  );
  state.upsertAlert(alert("z", "resolved", "2026-12-06T01:00:09Z")); // closed, never shown
  assert.equal(told.length, 2);
});

test("newer alerts sort first, then the more severe", () => {
  const older = alert("o", "new", "t", "2026-12-06T01:00:00Z");
  const newer = alert("n", "new", "t", "2026-12-06T02:00:00Z");
  const critical = { ...older, id: "c", severity: "critical" };
  const sorted = [older, critical, newer].sort(state.compareAlerts).map((a) => a.id);
  assert.deepEqual(sorted, ["n", "c", "o"]);
});

test("a new event is told with the ids that fell off the timeline", () => {
  told.length = 0;
  state.replaceEvents(Array.from({ length: state.TIMELINE_LIMIT }, (_, i) => ({ id: `e${i}` })));
  state.addEvent({ id: "new" });
  state.addEvent({ id: "new" }); // delivered twice: told once
  assert.deepEqual(
    told.map(([topic, p]) => [topic, p.event?.id, p.dropped]),
    [
      ["events", undefined, undefined],
      ["event", "new", [`e${state.TIMELINE_LIMIT - 1}`]],
    ],
  );
  assert.equal(state.data.events.length, state.TIMELINE_LIMIT);
});

test("a camera is added once and a state change is flagged", () => {
  told.length = 0;
  state.upsertCamera({ id: "cam", name: "정문", state: "starting" });
  state.upsertCamera({ id: "cam", state: "starting" });
  state.upsertCamera({ id: "cam", state: "online" });
  assert.deepEqual(
    told.map(([, p]) => [p.added, p.stateChanged, p.camera.name]),
    [
      [true, true, "정문"],
      [false, false, "정문"],
      [false, true, "정문"],
    ],
  );
});
