// The optional basemap under the twin (`site.basemap` in the config): none by default, the
// site model's layers on a dark ground; or a PMTiles archive through MapLibre's protocol hook.
// The pmtiles script is vendored by `make web` and loaded only when a PMTiles basemap is set.

import * as maplibregl from "./vendor/maplibre-gl.mjs";

// Protomaps basemap layers (vector tiles), in muted colours so the twin's layers stay readable.
const VECTOR_LAYERS = [
  { id: "earth", type: "fill", layer: "earth", paint: { "fill-color": "#111a24" } },
  { id: "landuse", type: "fill", layer: "landuse", paint: { "fill-color": "#15202c", "fill-opacity": 0.8 } },
  { id: "water", type: "fill", layer: "water", paint: { "fill-color": "#0b2438" } },
  { id: "roads", type: "line", layer: "roads", paint: { "line-color": "#2a3646", "line-width": 1 } },
];
let protocolAdded = false;

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.onload = resolve;
    script.onerror = () => reject(new Error(`${src} is missing (run \`make web\`)`));
    document.head.append(script);
  });
}

/** Adds the configured basemap under every other layer; resolves false when there is none. */
export async function addBasemap(map, site) {
  const basemap = site.basemap;
  if (!basemap || basemap.type !== "pmtiles") return false;
  if (!protocolAdded) {
    await loadScript("vendor/pmtiles.js");
    const protocol = new window.pmtiles.Protocol();
    maplibregl.addProtocol("pmtiles", protocol.tile);
    protocolAdded = true;
  }
  const url = `pmtiles://${new URL(basemap.url, location.href).href}`;
  const beforeId = map.getStyle().layers[1]?.id; // right above the background
  if (basemap.tiles === "raster") {
    map.addSource("basemap", { type: "raster", url, tileSize: 256, attribution: basemap.attribution });
    map.addLayer({ id: "basemap-raster", type: "raster", source: "basemap" }, beforeId);
    return true;
  }
  map.addSource("basemap", { type: "vector", url, attribution: basemap.attribution });
  for (const style of VECTOR_LAYERS) {
    map.addLayer({ id: `basemap-${style.id}`, type: style.type, source: "basemap",
      "source-layer": style.layer, paint: style.paint }, beforeId);
  }
  return true;
}
