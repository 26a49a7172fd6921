// Charts as inline SVG, drawn from the overview's numbers; each has a text equivalent.
import { svg } from "./dom.js";

const WINDOW_MS = 15 * 60 * 1000;
const GAP_MS = 20 * 1000; // samples further apart than this were not taken: draw a gap
export const OUTCOMES = ["succeeded", "failed", "canceled", "running", "queued"];

function points(samples, field, now, width, height, top) {
  const runs = [];
  let run = [];
  let previous = null;
  for (const sample of samples) {
    const at = Date.parse(sample.at);
    if (previous !== null && at - previous > GAP_MS && run.length) {
      runs.push(run);
      run = [];
    }
    previous = at;
    const x = width - ((now - at) / WINDOW_MS) * width;
    const y = height - 2 - ((sample[field] || 0) / top) * (height - 4);
    run.push(`${x.toFixed(1)},${y.toFixed(1)}`);
  }
  if (run.length) runs.push(run);
  return runs;
}

// Ready and unacked messages over the last 15 minutes.
export function sparkline(samples, label) {
  const width = 240;
  const height = 48;
  const now = samples.length ? Date.parse(samples[samples.length - 1].at) : Date.now();
  const top = Math.max(1, ...samples.map((s) => Math.max(s.ready, s.unacked)));
  const ready = samples.map((s) => s.ready);
  const summary = samples.length
    ? `${label}: ready between ${Math.min(...ready)} and ${Math.max(...ready)} over the last ` +
      `15 minutes (${samples.length} samples)`
    : `${label}: no samples yet`;
  const chart = svg("svg", {
    class: "sparkline", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": summary,
  }, svg("title", {}, summary));
  chart.append(svg("line", { x1: 0, y1: height - 1, x2: width, y2: height - 1, class: "axis" }));
  for (const [field, css] of [["unacked", "line-unacked"], ["ready", "line-ready"]]) {
    for (const run of points(samples, field, now, width, height, top)) {
      const shape = run.length === 1 ? run.concat(run) : run;
      chart.append(svg("polyline", { points: shape.join(" "), class: css }));
    }
  }
  return chart;
}

function minuteTotals(minutes) {
  const byMinute = new Map();
  for (const entry of minutes) {
    const at = Date.parse(entry.minute);
    const counts = byMinute.get(at) || {};
    counts[entry.state] = (counts[entry.state] || 0) + entry.count;
    byMinute.set(at, counts);
  }
  return byMinute;
}

// Operations per minute, stacked by outcome, over the last 15 minutes.
export function minuteBars(minutes, now) {
  const width = 600;
  const height = 120;
  const slot = width / 15;
  const byMinute = minuteTotals(minutes);
  const end = Math.floor(now / 60000) * 60000;
  const totals = [...byMinute.values()].map((c) => Object.values(c).reduce((a, b) => a + b, 0));
  const top = Math.max(1, ...totals);
  const total = totals.reduce((a, b) => a + b, 0);
  const summary = `${total} operations in the last 15 minutes, at most ${top} in one minute`;
  const chart = svg("svg", {
    class: "bars", viewBox: `0 0 ${width} ${height + 14}`, role: "img", "aria-label": summary,
  }, svg("title", {}, summary));
  for (let index = 0; index < 15; index += 1) {
    const at = end - (14 - index) * 60000;
    const counts = byMinute.get(at) || {};
    let y = height;
    for (const outcome of OUTCOMES) {
      const count = counts[outcome] || 0;
      if (!count) continue;
      const tall = (count / top) * (height - 4);
      y -= tall;
      const label = `${new Date(at).toLocaleTimeString()}: ${count} ${outcome}`;
      chart.append(svg("rect", {
        x: index * slot + 2, y, width: slot - 4, height: tall, class: `bar-${outcome}`,
      }, svg("title", {}, label)));
    }
  }
  chart.append(svg("text", { x: 0, y: height + 12, class: "tick" }, "−15 min"));
  chart.append(svg("text", { x: width, y: height + 12, class: "tick end" }, "now"));
  return chart;
}

// The next purges on a line from now to the last of them.
export function purgeTimeline(purges, now) {
  const width = 600;
  const height = 40;
  const times = purges.map((p) => Date.parse(p.scheduled_deletion_time));
  const last = Math.max(now + 60000, ...times);
  const summary = purges.length
    ? `${purges.length} purges scheduled, the last ${new Date(last).toLocaleString()}`
    : "No purges scheduled";
  const chart = svg("svg", {
    class: "timeline", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": summary,
  }, svg("title", {}, summary));
  chart.append(svg("line", { x1: 4, y1: 20, x2: width - 4, y2: 20, class: "axis" }));
  purges.forEach((purge, index) => {
    const x = 4 + ((times[index] - now) / (last - now)) * (width - 8);
    const label = `${purge.account}: ${new Date(times[index]).toLocaleString()}`;
    chart.append(svg("circle", { cx: Math.max(4, x), cy: 20, r: 5, class: "purge-dot" },
      svg("title", {}, label)));
  });
  chart.append(svg("text", { x: 4, y: 38, class: "tick" }, "now"));
  chart.append(svg("text", { x: width - 4, y: 38, class: "tick end" },
    new Date(last).toLocaleDateString()));
  return chart;
}
