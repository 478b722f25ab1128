// The cctwin HTTP API as the dashboard calls it: one function per endpoint, JSON in and out.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

const LOGIN_PAGE = "/login.html";
const SAFE_METHODS = ["GET", "HEAD", "OPTIONS"];

// The server set it at login (readable, unlike the HttpOnly session cookie); unsafe requests
// echo it so another site cannot make the browser act for the operator.
function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)cctwin_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : null;
}

export async function request(path, options = {}) {
  const headers = { Accept: "application/json", ...(options.headers || {}) };
  const token = csrfToken();
  if (token && !SAFE_METHODS.includes((options.method || "GET").toUpperCase())) {
    headers["X-CSRF-Token"] = token;
  }
  const response = await fetch(path, { ...options, headers, credentials: "same-origin" });
  if (response.status === 401 && location.pathname !== LOGIN_PAGE) {
    const here = location.pathname + location.search;
    location.assign(`${LOGIN_PAGE}?next=${encodeURIComponent(here)}`);
    return new Promise(() => {}); // the page is going away: no error for the callers to show
  }
  if (!response.ok) {
    let detail = `${response.status} ${response.statusText}`;
    try {
      const body = await response.json();
      if (body && body.detail !== undefined) {
        detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
      }
    } catch {
      // not JSON: keep the status line
    }
    throw new ApiError(response.status, detail);
  }
  return response.json();
}

const id = encodeURIComponent;

export const getCatalogue = (language) => request(`/api/catalogue?lang=${id(language)}`);
export const getSite = () => request("/api/site");
export const getDistrict = () => request("/api/site/district.geojson");
export const getSiteLayer = (layerId) => request(`/api/site/layers/${id(layerId)}.geojson`);
export const getSiteFootprints = () => request("/api/site/footprints.geojson");
export const getSiteZones = () => request("/api/site/zones.geojson");
export const getCameras = () => request("/api/cameras");
export const getCamerasGeojson = () => request("/api/cameras.geojson");
export const getObservations = () => request("/api/observations");
export const getPositions = () => request("/api/positions");
export const getForecasts = () => request("/api/forecasts");
export const getForecastLedger = () => request("/api/forecasts/ledger");
export const getEvents = (limit) => request(`/api/events?limit=${limit}`);
export const getAlerts = (statuses, limit) =>
  request(`/api/alerts?status=${statuses.map(id).join(",")}&limit=${limit}`);
export const getAlert = (alertId) => request(`/api/alerts/${id(alertId)}`);
export const getTwinAt = (time) => request(time ? `/api/twin/at?time=${id(time)}` : "/api/twin/at");
export const getNgsiTypes = () => request("/ngsi-ld/v1/types");
export const getNgsiEntities = (types) =>
  request(`/ngsi-ld/v1/entities?type=${id(types.join(","))}&limit=1000`);
export const liveFrameUrl = (cameraId) => `/api/cameras/${id(cameraId)}/live.jpg?t=${Date.now()}`;
export const STREAM_URL = "/api/stream";

export function transitionAlert(alertId, to, { by = "operator", note = null } = {}) {
  return request(`/api/alerts/${id(alertId)}/transitions`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ to, by, note }),
  });
}

export function login(username, password) {
  return request("/api/auth/session", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username, password }),
  });
}

export const getPlanningCoverage = () => request("/api/planning/coverage");

export function postPlan(add, timeLimitS = 20) {
  return request("/api/planning/plan", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ add, time_limit_s: timeLimitS }),
  });
}
export const getMe = () => request("/api/auth/me");
export const getUnmaskGrants = () => request("/api/privacy/unmask");

export function createUnmask(cameras, reason, minutes) {
  return request("/api/privacy/unmask", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ cameras, reason, minutes }),
  });
}

export const endUnmask = (grantId) =>
  request(`/api/privacy/unmask/${id(grantId)}`, { method: "DELETE" });
