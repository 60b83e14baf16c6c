// How long each alert has waited: every element with class "timer" and a data-since time,
// updated every second.
"use strict";
function waited(since) {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 1000));
  return s < 60 ? s + " s" : Math.floor(s / 60) + " min " + (s % 60) + " s";
}
const tickTimers = () => document.querySelectorAll(".timer").forEach(t => { t.textContent = waited(t.dataset.since); });
tickTimers();
setInterval(tickTimers, 1000);
