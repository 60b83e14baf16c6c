// The live alert queue: a snapshot, then every alert event pushed by the server (SSE). The
// browser's EventSource resumes with Last-Event-ID after a drop, so no event is missed.
// Needs timers.js (waited) first.
"use strict";
const root = document.getElementById("queue");
const maxNew = Number(root.dataset.maxUnacknowledged);
const open = new Map();          // alert_id -> alert
const statusRows = [];           // newest first
const CLOSED = new Set(["rejected", "disposed"]);
let sound = false, audio = null;

function put(alert) {
  const known = open.get(alert.alert_id);
  if (known && known.history.length > alert.history.length) return;  // an older copy
  if (CLOSED.has(alert.state)) open.delete(alert.alert_id); else open.set(alert.alert_id, alert);
  return !known && alert.state === "new";
}

function cell(row, content, cls) {
  const td = row.insertCell();
  if (content instanceof Node) td.append(content); else td.textContent = content;
  if (cls) td.className = cls;
  return td;
}

function priorityBadge(p) {
  const b = document.createElement("span");
  b.className = "prio p" + p; b.textContent = "P" + p; return b;
}

function matchTag(a) {
  const exact = a.match.type === "exact" && a.match.read_source === "best";
  const t = document.createElement("span");
  t.className = exact ? "tag-exact" : "tag-approx";
  t.textContent = exact ? "exact" : "≈ " + a.match.type + (a.match.read_source === "alternative" ? ", alt. read" : "");
  return t;
}

function plateMarks(a) {
  const s = document.createElement("span");
  s.className = "plate";
  [...a.match.read].forEach((ch, i) => {
    const c = document.createElement("span");
    c.textContent = ch;
    if (a.match.differing_positions.includes(i)) c.className = "diff";
    s.append(c);
  });
  return s;
}

function link(a, content) {
  const l = document.createElement("a");
  l.href = "/alerts/" + encodeURIComponent(a.alert_id); l.append(content); return l;
}

function render() {
  const sorted = [...open.values()].sort((a, b) => a.priority - b.priority || Date.parse(a.raised_at) - Date.parse(b.raised_at));
  for (const [id, rows] of [["vehicles", sorted.filter(a => a.plate)], ["persons", sorted.filter(a => !a.plate)]]) {
    const body = document.querySelector("#" + id + " tbody");
    body.replaceChildren();
    for (const a of rows) {
      const r = body.insertRow();
      r.dataset.alertId = a.alert_id;
      r.className = a.state + (a.history.some(h => h.what === "escalated") && a.state === "new" ? " escalated" : "");
      cell(r, priorityBadge(a.priority));
      if (id === "vehicles") { cell(r, link(a, plateMarks(a))); cell(r, matchTag(a)); }
      cell(r, id === "vehicles" ? a.entry.list + " · " + a.entry.category : link(a, a.entry.list + " · " + a.entry.category));
      cell(r, a.checkpoint_id);
      cell(r, a.state, "state");
      const t = cell(r, waited(a.raised_at), "timer"); t.dataset.since = a.raised_at;
    }
    document.getElementById(id + "-empty").hidden = rows.length > 0;
  }
  const unacknowledged = sorted.filter(a => a.state === "new").length;
  const flag = document.getElementById("flag");
  flag.hidden = unacknowledged <= maxNew;
  flag.textContent = unacknowledged + " alerts not acknowledged (more than " + maxNew + ")";
  const sbody = document.querySelector("#status tbody");
  sbody.replaceChildren();
  for (const s of statusRows.slice(0, 50)) {
    const r = sbody.insertRow();
    cell(r, new Date(s.raised_at).toLocaleTimeString()); cell(r, s.kind); cell(r, s.checkpoint_id);
    cell(r, s.camera_id || ""); cell(r, s.detail);
  }
  document.getElementById("status-empty").hidden = statusRows.length > 0;
}

function beep(priority) {
  if (!sound) return;
  audio = audio || new AudioContext();
  const o = audio.createOscillator(), g = audio.createGain();
  o.frequency.value = [0, 1200, 1000, 800, 600, 500][priority] || 600;
  o.connect(g); g.connect(audio.destination);
  g.gain.value = 0.2; o.start(); o.stop(audio.currentTime + (priority <= 2 ? 0.6 : 0.25));
}

document.getElementById("sound").addEventListener("click", e => {
  sound = !sound;
  e.target.textContent = sound ? "Sound on" : "Sound off";
  e.target.setAttribute("aria-pressed", String(sound));
});

const events = new EventSource("/alerts/events");
const connection = document.getElementById("connection");
events.onopen = () => { connection.textContent = "live"; connection.className = "online"; };
events.onerror = () => {
  connection.textContent = "reconnecting…"; connection.className = "offline";
  if (events.readyState === EventSource.CLOSED) location.href = "/login";
};
events.addEventListener("snapshot", e => { open.clear(); JSON.parse(e.data).forEach(put); render(); });
events.addEventListener("alert", e => {
  const a = JSON.parse(e.data);
  if (put(a)) beep(a.priority);
  render();
});
events.addEventListener("status", e => { statusRows.unshift(JSON.parse(e.data)); render(); });
events.addEventListener("logout", () => { events.close(); location.href = "/login"; });
