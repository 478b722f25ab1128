// The cctwin dashboard: map of the district, alert queue with evidence, video wall, event timeline.
// Native ES modules, no build step: this one loads the words and data and wires the views.

import { startAlerts, loadAlerts, translateAlerts } from "./alerts.js";
import { addBasemap } from "./basemap.js";
import { getCameras, getDistrict, getObservations, getPositions, getSite } from "./api.js";
import { addHealthLayer } from "./camerahealth.js";
import { $ } from "./dom.js";
import { renderEvidence, startEvidence } from "./evidence.js";
import { startFlood } from "./flood.js";
import { addForeignLayer } from "./foreign.js";
import { startForecasts } from "./forecast.js";
import { showMessage, startHeader, toast, translateHeader } from "./header.js";
import {
  applyTranslations,
  getLanguage,
  hasStoredLanguage,
  loadCatalogue,
  onLanguageChange,
  setLanguage,
  t,
} from "./i18n.js";
import {
  addMapLayers,
  addSiteLayers,
  createMap,
  getMap,
  refreshCamerasGeojson,
  startMap,
  translateMap,
  waitForIdle,
  whenLoaded,
} from "./map.js";
import { addObjectLayer } from "./objects.js";
import { startPlanning, translatePlanning } from "./planning.js";
import { data, rememberObservation, rememberPositions, upsertCamera } from "./state.js";
import { startReplay, translateAll as translateReplay } from "./replay.js";
import { connectStream } from "./stream.js";
import { loadEvents, startTimeline, translateTimeline } from "./timeline.js";
import { showWall, startWall, translateWall } from "./wall.js";
import { startScenarios, translateScenarios } from "./scenarios.js";

const EMPTY_COLLECTION = { type: "FeatureCollection", features: [] };
const FALLBACK_SITE = { name: "cctwin", center: [126.978, 37.5665], zoom: 15, language: "ko", layers: [] };

async function loadCameras() {
  try {
    for (const camera of await getCameras()) upsertCamera(camera);
    for (const observation of await getObservations()) rememberObservation(observation);
    for (const positions of await getPositions()) rememberPositions(positions);
  } catch (error) {
    toast(error.message);
  }
}

/** After a gap in the stream: catch up from the API; views patch only what differs. */
async function resync() {
  await Promise.all([loadAlerts(), loadEvents(), loadCameras().then(refreshCamerasGeojson)]);
}

function translatePage() {
  translateHeader();
  translateAlerts();
  renderEvidence();
  translateTimeline();
  translateWall();
  translateMap();
  translatePlanning();
  translateReplay();
  translateScenarios();
}

async function start() {
  try {
    await loadCatalogue();
  } catch (error) {
    // Without words the page still works; it shows message keys and says why.
    toast(`catalogue: ${error.message}`);
  }
  applyTranslations();
  startHeader();
  onLanguageChange(translatePage);
  // Views subscribe before any data arrives, so each item is drawn as it becomes known.
  startAlerts();
  startEvidence();
  startTimeline();
  startWall();
  startMap();
  startForecasts();
  startScenarios();

  let site;
  try {
    site = await getSite();
  } catch (error) {
    toast(error.message);
    site = FALLBACK_SITE;
  }
  data.site = site;
  if (!hasStoredLanguage() && site.language !== getLanguage()) {
    setLanguage(site.language, { remember: false });
  }
  $("#site-name").textContent = site.name;
  document.title = `${site.name} · cctwin`;

  // Subscribe first, then take the snapshots, so nothing that happens in between is lost.
  const stream = connectStream(resync);
  await new Promise((resolve) => {
    stream.addEventListener("open", resolve, { once: true });
    setTimeout(resolve, 3000); // a broken stream must not keep the page empty
  });

  const districtPromise = getDistrict().catch((error) => {
    showMessage("#map-message", t("map.error.district", { detail: error.message }));
    return EMPTY_COLLECTION;
  });
  const camerasPromise = loadCameras().then(refreshCamerasGeojson);
  const listsPromise = Promise.all([loadAlerts(), loadEvents()]);

  try {
    createMap(site);
  } catch (error) {
    showMessage("#map-message", t("map.error.webgl", { detail: error.message }));
  }
  // For operators' consoles and the browser test: the map, the data and a manual resync.
  window.cctwin = { map: getMap(), state: data, refresh: resync };

  await camerasPromise;
  showWall();

  if (getMap()) {
    await whenLoaded();
    await addBasemap(getMap(), site).catch((error) => toast(`basemap: ${error.message}`));
    addMapLayers(await districtPromise);
    await addSiteLayers(site.layers || [], site);
    addObjectLayer(getMap());
    await startPlanning(getMap());
    startFlood(getMap());
    addHealthLayer(getMap());
    await listsPromise;
    await startReplay(getMap());
    addForeignLayer(getMap());
    await waitForIdle();
  } else {
    await listsPromise;
    await startReplay(null);
  }
  document.body.dataset.ready = "1";
}

start();
