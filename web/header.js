// The top bar (clock, stream connection, language buttons) and the page's toast and messages.

import { $ } from "./dom.js";
import { formatClock, getLanguage, setLanguage, t } from "./i18n.js";

export function tickClock() {
  const now = new Date();
  const clock = $("#clock");
  clock.textContent = formatClock(now);
  clock.dateTime = now.toISOString();
}

/** connecting, live, reconnecting or offline: the dot's colour and its label. */
export function setConnection(connection) {
  $("#connection").dataset.state = connection;
  $("#connection-label").textContent = t(`conn.${connection}`);
}

export function renderLanguageButtons() {
  for (const button of document.querySelectorAll("[data-lang]")) {
    const active = button.dataset.lang === getLanguage();
    button.classList.toggle("active", active);
    button.setAttribute("aria-pressed", String(active));
  }
}

export function startHeader() {
  renderLanguageButtons();
  setConnection("connecting");
  tickClock();
  setInterval(tickClock, 1000);
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
  }
}

/** Relabel what the header wrote itself (data-i18n elements are done by applyTranslations). */
export function translateHeader() {
  renderLanguageButtons();
  setConnection($("#connection").dataset.state);
  tickClock();
}

let toastTimer = null;
export function toast(message) {
  const box = $("#toast");
  box.textContent = message;
  box.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => {
    box.hidden = true;
  }, 6000);
}

/** A panel's own message line (load errors); empty text hides it. */
export function showMessage(selector, text) {
  const box = $(selector);
  box.textContent = text || "";
  box.hidden = !text;
}
