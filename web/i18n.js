// The dashboard's words, from the server's message catalogue (GET /api/catalogue), ko or en.
// The operator's choice is kept in localStorage so a reload at 3 a.m. does not flip it back.

import { getCatalogue } from "./api.js";

const STORAGE_KEY = "cctwin.language";
export const LANGUAGES = ["ko", "en"];
const LOCALES = { ko: "ko-KR", en: "en-GB" };
const catalogues = {}; // language -> { key: text }, filled by loadCatalogue()

let current = readStored() || "ko";
const listeners = new Set();

/** Fetch every language once at start, so switching later is instant and works offline. */
export async function loadCatalogue() {
  const loaded = await Promise.all(LANGUAGES.map((language) => getCatalogue(language)));
  for (const catalogue of loaded) catalogues[catalogue.language] = catalogue.messages;
}

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

function lookup(key) {
  return catalogues[current]?.[key] ?? catalogues.en?.[key];
}

/** Translate `key`, filling `{name}` placeholders as the server does; unknown keys show the key. */
export function t(key, params = {}) {
  const text = lookup(key) ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/** Like t() but returns `fallback` for keys we have no words for (class names, kinds). */
export function tOr(key, fallback) {
  return lookup(key) === undefined ? fallback : t(key);
}

export const kindLabel = (kind) => tOr(`kind.${kind}`, kind);
export const classLabel = (name) => (name ? tOr(`class.${name}`, name) : "");

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

export function formatValue(value) {
  if (Number.isInteger(value)) return String(value);
  // Densities of a sparse zone (0.005 persons/m²) would all read 0.0 with one decimal.
  return Math.abs(value) < 1 ? Number(value).toFixed(2) : Number(value).toFixed(1);
}
