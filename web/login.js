// The login page: a session cookie (HttpOnly) and a CSRF cookie, then back to the dashboard.

import { ApiError, login } from "./api.js";
import { applyTranslations, getLanguage, loadCatalogue, setLanguage, t } from "./i18n.js";

// Only a path of this site: an open redirect to another host would help phishing.
function nextPath() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

async function submit(event) {
  event.preventDefault();
  const error = document.getElementById("login-error");
  error.hidden = true;
  const username = document.getElementById("username").value;
  const password = document.getElementById("password").value;
  try {
    await login(username, password);
    location.assign(nextPath());
  } catch (exc) {
    const key = exc instanceof ApiError && exc.status === 429 ? "login.rate_limited" : "login.failed";
    error.textContent = t(key);
    error.hidden = false;
  }
}

async function main() {
  await loadCatalogue();
  applyTranslations();
  for (const button of document.querySelectorAll("[data-lang]")) {
    button.addEventListener("click", () => setLanguage(button.dataset.lang));
    button.setAttribute("aria-pressed", String(button.dataset.lang === getLanguage()));
  }
  document.getElementById("login-form").addEventListener("submit", submit);
}

main();
