// Console helpers (no inline scripts: the CSP forbids them).
// A live character count for fields with data-max and data-counter.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("textarea[data-max][data-counter]").forEach(function (field) {
    var counter = document.getElementById(field.getAttribute("data-counter"));
    var max = parseInt(field.getAttribute("data-max"), 10);
    function update() {
      var n = Array.from(field.value.trim()).length;
      counter.textContent = n + " / " + max + " 字" + (n > max ? "（超出 " + (n - max) + " 字，一条微信回复放不下）" : "");
      counter.classList.toggle("over", n > max);
    }
    field.addEventListener("input", update);
    update();
  });
});

// The live desk (handoff page): a quick reply fills the reply box, to be edited before
// sending; the transcript of an open conversation refreshes every 4 seconds.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-quick-reply]").forEach(function (select) {
    var box = document.getElementById(select.getAttribute("data-quick-reply"));
    select.addEventListener("change", function () {
      if (!select.value || !box) { return; }
      box.value = select.value;
      box.focus();
      select.value = "";
    });
  });
  var list = document.querySelector("ol[data-live-src]");
  if (!list) { return; }
  var src = list.getAttribute("data-live-src");
  var shown = list.innerHTML.trim();
  function refresh() {
    fetch(src, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null || html.trim() === shown) { return; }
        var atEnd = list.scrollTop + list.clientHeight >= list.scrollHeight - 40;
        list.innerHTML = html;
        shown = html.trim();
        if (atEnd) { list.scrollTop = list.scrollHeight; }
      })
      .catch(function () { /* offline for a moment: the next round tries again */ });
  }
  setInterval(refresh, 4000);
});

// The handoff queue (handoffs.html, [data-queue]): every 15 s it asks /console/api/queue
// how many conversations wait for an agent. The title shows the high-risk ones, e.g.
// "(2) 转人工记录"; a high-risk conversation newer than any the page has seen shows the
// banner and beeps (WebAudio, only once the browser lets the page make a sound).
document.addEventListener("DOMContentLoaded", function () {
  var queue = document.querySelector("[data-queue][data-queue-poll]");
  if (!queue || !window.fetch) return;
  var url = queue.getAttribute("data-queue-poll");
  var seen = parseInt(queue.getAttribute("data-newest-high-risk"), 10) || 0;
  var banner = queue.querySelector("[data-queue-alert]");
  var baseTitle = document.title.replace(/^\(\d+\)\s*/, "");
  var AudioContext = window.AudioContext || window.webkitAudioContext;
  var audio = null;
  var timer = null;

  // Browsers keep a page silent until someone has used it: make (or wake) the audio
  // context on the first tap, click or key.
  function unlock() {
    if (!AudioContext) return;
    try {
      audio = audio || new AudioContext();
      if (audio.state === "suspended" && audio.resume) {
        var woken = audio.resume();
        if (woken && woken.catch) woken.catch(function () {});
      }
    } catch (e) {
      audio = null;
    }
  }
  ["pointerdown", "keydown", "touchstart"].forEach(function (type) {
    document.addEventListener(type, unlock, { once: true, passive: true });
  });

  function beep() {
    try {
      if (!audio) unlock(); // some browsers allow it without a tap on a site in use
      if (!audio || audio.state !== "running") return; // blocked: the banner still shows
      var now = audio.currentTime;
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.type = "sine";
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, now);
      gain.gain.exponentialRampToValueAtTime(0.25, now + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, now + 0.4);
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start(now);
      tone.stop(now + 0.45);
    } catch (e) {
      // No sound on this browser; the banner and the title say it.
    }
  }

  function show(counts) {
    var high = Number(counts.high_risk_waiting) || 0;
    document.title = (high > 0 ? "(" + high + ") " : "") + baseTitle;
    ["waiting", "high_risk_waiting"].forEach(function (key) {
      var cell = queue.querySelector('[data-queue-count="' + key + '"]');
      if (cell && typeof counts[key] === "number") cell.textContent = String(counts[key]);
    });
    var newest = Number(counts.newest_high_risk_id) || 0;
    if (newest > seen) {
      seen = newest;
      if (banner) banner.hidden = false;
      beep();
    }
  }

  function poll() {
    fetch(url, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status === 401 || response.status === 403) {
          clearInterval(timer); // signed out or no longer allowed: stop asking
          return null;
        }
        return response.ok ? response.json() : null;
      })
      .then(function (counts) {
        if (counts) show(counts);
      })
      .catch(function () {
        // Offline or the server restarting: try again next time.
      });
  }
  timer = setInterval(poll, 15000);
});
