// The video wall: one live tile per camera, refreshed together; a camera's change patches its tiles.

import { liveFrameUrl } from "./api.js";
import { $, el } from "./dom.js";
import { formatValue, t, tOr } from "./i18n.js";
import { cameraName, data, emit, on, placeName } from "./state.js";

const TILE_REFRESH_MS = 1000;
const wallTiles = new Map(); // camera id -> <figure> on the wall (popup tiles are not kept here)
const images = new Set(); // every live <img> on the page, wall and popup, refreshed together

/** A live tile; `compact` ones sit in the map's popup and do not open it again on click. */
export function createTile(cameraId, { compact = false } = {}) {
  const image = el("img", {
    className: "live",
    alt: cameraName(cameraId),
    dataset: { camera: cameraId },
    decoding: "async",
  });
  const waiting = el("span", { className: "waiting", "data-i18n": "wall.waiting" }, t("wall.waiting"));
  const figure = el(
    "figure",
    { className: `tile${compact ? " compact" : ""}`, dataset: { camera: cameraId, loaded: "0" } },
    el("div", { className: "frame" }, image, waiting),
    el(
      "figcaption",
      {},
      el("span", { className: "dot", "aria-hidden": "true" }),
      el("span", { className: "name" }),
      el("span", { className: "state-text" }),
      el("span", { className: "obs" }),
    ),
  );
  fillTile(figure, cameraId);
  image.addEventListener("load", () => {
    figure.dataset.loaded = "1";
    image.dataset.busy = "";
  });
  image.addEventListener("error", () => {
    // 404 until the camera's first analysed frame: keep the placeholder and try again later.
    figure.dataset.loaded = "0";
    image.dataset.busy = "";
  });
  if (!compact) {
    figure.addEventListener("click", () => emit("focus-camera", { cameraId, popup: true }));
  }
  images.add(image);
  refreshImage(image);
  return figure;
}

function fillTile(figure, cameraId) {
  const cameraState = data.cameras.get(cameraId)?.state || "starting";
  const compact = figure.classList.contains("compact");
  figure.className = `tile state-${cameraState}${compact ? " compact" : ""}`;
  figure.querySelector(".name").textContent = cameraName(cameraId);
  figure.querySelector(".state-text").textContent = t(`camera.${cameraState}`);
  figure.querySelector(".obs").textContent = observationSummary(cameraId);
  figure.querySelector(".waiting").textContent = t("wall.waiting");
  figure.querySelector("img.live").alt = cameraName(cameraId);
}

/** Patch every tile of one camera (the wall's and the popup's) in place. */
export function updateTiles(cameraId) {
  if (!data.cameras.has(cameraId)) return;
  for (const figure of document.querySelectorAll(`figure.tile[data-camera="${CSS.escape(cameraId)}"]`)) {
    fillTile(figure, cameraId);
  }
}

function refreshImage(image) {
  // One request in flight per tile: a slow server gets fewer requests, not a queue of them.
  if (image.dataset.busy === "1") return;
  image.dataset.busy = "1";
  image.src = liveFrameUrl(image.dataset.camera);
}

function refreshImages() {
  if (document.hidden) return;
  for (const image of [...images]) {
    if (!image.isConnected) {
      images.delete(image); // a closed popup's tile
      continue;
    }
    refreshImage(image);
  }
}

function observationSummary(cameraId) {
  const latest = data.observations.get(cameraId);
  if (!latest) return "";
  return [...latest.values()]
    .map((o) => {
      const key = `observation.${o.kind}`;
      const value = formatValue(o.value);
      const level = o.level ? ` ${tOr(`level.${o.level}`, o.level)}` : "";
      const method = o.method ? ` (${tOr(`method.${o.method}`, o.method)})` : "";
      const text = tOr(key, null) === null ? `${o.kind} ${value}` : t(key, { value });
      return `${placeName(cameraId, o.rule_id)} ${text}${level}${method}`;
    })
    .join(" · ");
}

function showEmpty() {
  const wall = $("#wall");
  const placeholder = wall.querySelector(":scope > .placeholder");
  if (wallTiles.size > 0) placeholder?.remove();
  else if (placeholder) placeholder.textContent = t("wall.empty");
  else wall.append(el("p", { className: "placeholder" }, t("wall.empty")));
}

function onCamera({ camera, added }) {
  if (added || !wallTiles.has(camera.id)) {
    const tile = createTile(camera.id);
    wallTiles.set(camera.id, tile);
    $("#wall").append(tile);
    showEmpty();
  } else {
    updateTiles(camera.id);
  }
}

/** Relabel every tile in place for the new language. */
export function translateWall() {
  for (const cameraId of data.cameras.keys()) updateTiles(cameraId);
  showEmpty();
}

/** Subscribe first; tiles appear as cameras become known (GET /api/cameras, then SSE). */
export function startWall() {
  on("camera", onCamera);
  on("observation", ({ cameraId }) => updateTiles(cameraId));
}

/** After the first camera list: the empty message if there are none, then the refresh loop. */
export function showWall() {
  showEmpty();
  setInterval(refreshImages, TILE_REFRESH_MS);
  document.addEventListener("visibilitychange", refreshImages);
}
