// Zone forecasts beside the live value: a small band chart per zone and the ledger's score.
// Everything here is a forecast and says so; the live value is the one measured last.

import { getForecastLedger, getForecasts } from "./api.js";
import { $, el, fill } from "./dom.js";
import { onLanguageChange, t } from "./i18n.js";

const REFRESH_MS = 30000;
const SVG = "http://www.w3.org/2000/svg";
let latest = { forecasts: [], ledger: [] };

function svg(tag, attributes) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

/** The live value (a dot at 0) and the forecasts by horizon: band, line and dashed baseline. */
function bandChart(zone) {
  const width = 160;
  const height = 40;
  const points = zone.points;
  const maxMinutes = Math.max(...points.map((p) => p.horizon_min));
  const values = points.flatMap((p) => [p.low, p.high, p.baseline, p.value]);
  if (zone.latest_value !== null) values.push(zone.latest_value);
  const top = Math.max(...values, 1e-6);
  const x = (minutes) => 4 + (minutes / maxMinutes) * (width - 8);
  const y = (value) => height - 3 - (value / top) * (height - 6);
  const chart = svg("svg", { width, height, viewBox: `0 0 ${width} ${height}`, role: "img" });
  const upper = points.map((p) => `${x(p.horizon_min)},${y(p.high)}`);
  const lower = points.map((p) => `${x(p.horizon_min)},${y(p.low)}`).reverse();
  chart.append(
    svg("polygon", { points: [...upper, ...lower].join(" "), fill: "rgba(80,140,230,0.25)" }),
    svg("polyline", {
      points: points.map((p) => `${x(p.horizon_min)},${y(p.baseline)}`).join(" "),
      fill: "none", stroke: "#d08020", "stroke-dasharray": "3 2", "stroke-width": 1,
    }),
    svg("polyline", {
      points: points.map((p) => `${x(p.horizon_min)},${y(p.value)}`).join(" "),
      fill: "none", stroke: "#3070d0", "stroke-width": 1.5,
    }),
  );
  if (zone.latest_value !== null) {
    chart.append(svg("circle", { cx: x(0), cy: y(zone.latest_value), r: 2.5, fill: "#eee" }));
  }
  const title = svg("title", {});
  title.textContent = points
    .map((p) => `+${p.horizon_min}′ ${p.value.toFixed(2)} [${p.low.toFixed(2)}–${p.high.toFixed(2)}]`)
    .join("\n");
  chart.append(title);
  return chart;
}

const fmt = (value, digits = 2) => (value === null || value === undefined ? "–" : value.toFixed(digits));

function zoneRow(zone) {
  const unit = zone.quantity === "crowd.density" ? t("forecast.density") : t("forecast.count");
  const last = zone.points[zone.points.length - 1];
  const level = last.level ? ` · ${last.level}` : "";
  return el(
    "li",
    { className: "forecast-zone", dataset: { camera: zone.camera_id, rule: zone.rule_id } },
    el("div", {}, `${zone.camera_id} / ${zone.rule_id} (${unit})`),
    el("div", {}, `${t("forecast.now")} ${fmt(zone.latest_value)} → `,
      el("strong", {}, `${fmt(last.value)}`), ` +${last.horizon_min}′${level} `,
      el("em", {}, `(${t("forecast.marker")})`)),
    bandChart(zone),
  );
}

function ledgerLine(score) {
  if (!score || !score.scored) return el("p", { className: "placeholder" }, t("forecast.unscored"));
  return el(
    "p",
    { className: "forecast-ledger" },
    `${t("forecast.ledger")}: ${t("forecast.scored")} ${score.scored} · ${t("forecast.mase")} ${fmt(score.mase)}`,
    ` (${t("forecast.baseline_mase")} ${fmt(score.baseline_mase)}) · ${t("forecast.coverage")} `,
    `${fmt(100 * (score.band_coverage ?? 0), 0)}%`,
    score.level_accuracy === null ? "" : ` · ${t("forecast.level_accuracy")} ${fmt(100 * score.level_accuracy, 0)}%`,
  );
}

function render() {
  const box = $("#forecast");
  if (!box) return;
  const overall = latest.ledger.find((s) => s.camera_id === null);
  fill(
    box,
    el("h3", {}, t("forecast.title"), " ", el("em", {}, `(${t("forecast.marker")})`)),
    latest.forecasts.length
      ? el("ol", { className: "forecast-zones" }, ...latest.forecasts.map(zoneRow))
      : el("p", { className: "placeholder" }, t("forecast.none")),
    ledgerLine(overall),
  );
}

async function refresh() {
  try {
    const [forecasts, ledger] = await Promise.all([getForecasts(), getForecastLedger()]);
    latest = { forecasts, ledger };
  } catch {
    return; // the panel keeps its last content; the header shows connection problems
  }
  render();
}

/** Add the forecast box above the timeline and keep it fresh. */
export function startForecasts() {
  const panel = $(".timeline-panel");
  if (!panel || $("#forecast")) return;
  const head = panel.querySelector(".panel-head");
  const box = el("section", { id: "forecast", className: "forecast", "aria-live": "polite" });
  (head || panel).after(box);
  onLanguageChange(render);
  refresh();
  setInterval(refresh, REFRESH_MS);
}
