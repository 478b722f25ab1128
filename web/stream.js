// The live stream (SSE /api/stream): each message updates the state, which tells the views.
//
// Named SSE messages the dashboard reads, each a JSON body shaped like its REST resource:
//   alert        GET /api/alerts/{id} without events (id, status, severity, title_ko, title_en,
//                opened_at, updated_at, camera_id, zone_id, class_name, event_ids,
//                allowed_transitions)
//   event        the Event wire model, as GET /api/events items (id, kind, camera_id, zone_id,
//                rule_id, class_name, occurred_at, confidence, frame_index, payload: {type,
//                direction | level, value, region | dwell_s}; regions are [0, 1] xyxy)
//   camera       GET /api/cameras item, possibly partial (id, state, name, place_names)
//   observation  GET /api/observations item (camera_id, rule_id, kind, value, level, method)
//   positions    GET /api/positions item (camera_id, captured_at, objects: [{track_id,
//                class_name, x, y, lon, lat}]), a camera's tracked objects per analysed frame

import { STREAM_URL } from "./api.js";
import { setConnection } from "./header.js";
import {
  addEvent,
  rememberObservation,
  rememberPositions,
  upsertAlert,
  upsertCamera,
} from "./state.js";

const HANDLERS = {
  alert: upsertAlert,
  event: addEvent,
  camera: upsertCamera,
  observation: rememberObservation,
  positions: rememberPositions,
};
const RETRY_MS = 5000;

let current = null; // the EventSource in use; an older one that errors must not reconnect

function parse(message) {
  try {
    return JSON.parse(message.data);
  } catch {
    return null; // a malformed message is skipped, never a broken page
  }
}

/**
 * Open the stream; `resync` runs after every reconnection, since messages may have been missed.
 * Returns the EventSource so the caller can wait for its first `open`.
 */
export function connectStream(resync) {
  setConnection("connecting");
  const stream = new EventSource(STREAM_URL);
  current = stream;
  let wasOpen = false;
  stream.addEventListener("open", () => {
    setConnection("live");
    if (wasOpen) resync();
    wasOpen = true;
  });
  stream.addEventListener("error", () => {
    if (stream.readyState === EventSource.CLOSED) {
      // EventSource gives up for good on an HTTP error status; keep trying ourselves.
      setConnection("offline");
      setTimeout(() => {
        if (current === stream) connectStream(resync).addEventListener("open", resync, { once: true });
      }, RETRY_MS);
    } else {
      setConnection("reconnecting");
    }
  });
  for (const [name, handle] of Object.entries(HANDLERS)) {
    stream.addEventListener(name, (message) => {
      const body = parse(message);
      if (body) handle(body);
    });
  }
  return stream;
}
