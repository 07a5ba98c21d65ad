// The page's player. It draws screens computed at export time by runbook's
// own terminal emulator: it never interprets terminal output itself.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var root = $("rb"), screen = $("rb-screen"), overlay = $("rb-overlay");
  var playBtn = $("rb-play"), bar = $("rb-bar"), fill = $("rb-fill"), marksEl = $("rb-marks");
  var timeEl = $("rb-time"), speedSel = $("rb-speed"), stepNow = $("rb-step-now"), player = $("rb-player");

  var D = null, at = null, rowsEl = [], drawn = [], drawnCur = -2;
  var shown = null, shownIdx = -1; // line ids of the frame on screen
  var time = 0, playing = false, speed = 1, wallStart = 0, timeStart = 0, raf = 0;
  var ready = false, queue = [];
  // Before play the page shows a poster, the recording's last screen,
  // until the reader plays or seeks.
  var posterUp = true, bigPlay = $("rb-big-play");

  function fmt(t) {
    t = Math.max(0, t);
    var h = Math.floor(t / 3600), m = Math.floor(t / 60) % 60, s = Math.floor(t % 60);
    var ss = (s < 10 ? "0" : "") + s;
    return h > 0 ? h + ":" + (m < 10 ? "0" : "") + m + ":" + ss : m + ":" + ss;
  }

  // Colours: 0–15 follow the theme (CSS variables); 16–255 are xterm's.
  function colour(c) {
    if (c < 0) return null;
    if (c < 16) return "var(--c" + c + ")";
    if (c < 256) {
      if (c >= 232) { var g = 8 + (c - 232) * 10; return "rgb(" + g + "," + g + "," + g + ")"; }
      var i = c - 16, lv = [0, 95, 135, 175, 215, 255];
      return "rgb(" + lv[Math.floor(i / 36)] + "," + lv[Math.floor(i / 6) % 6] + "," + lv[i % 6] + ")";
    }
    var v = c & 0xffffff;
    return "#" + ("00000" + v.toString(16)).slice(-6);
  }
  var BOLD = 1, FAINT = 2, ITALIC = 4, UNDERLINE = 8, BLINK = 16, INVERSE = 32, INVISIBLE = 64, STRIKE = 128;
  function styleSheet() {
    var css = [];
    D.styles.forEach(function (s, i) {
      var fg = s[0], bg = s[1], a = s[2], r = [];
      // Bold with a basic colour brightens it, as xterm does by default.
      if ((a & BOLD) && fg >= 0 && fg < 8) fg += 8;
      var f = colour(fg), b = colour(bg);
      if (a & INVERSE) {
        var t = f; f = b || "var(--tbg)"; b = t || "var(--tfg)";
      }
      if (f) r.push("color:" + f);
      if (b) r.push("background:" + b);
      if (a & BOLD) r.push("font-weight:bold");
      if (a & FAINT) r.push("opacity:.65");
      if (a & ITALIC) r.push("font-style:italic");
      var dec = [];
      if (a & UNDERLINE) dec.push("underline");
      if (a & STRIKE) dec.push("line-through");
      if (dec.length) r.push("text-decoration:" + dec.join(" "));
      if (a & INVISIBLE) r.push("color:transparent");
      if (r.length) css.push(".rb-screen .s" + i + "{" + r.join(";") + "}");
    });
    var el = document.createElement("style");
    el.textContent = css.join("\n");
    document.head.appendChild(el);
  }

  function esc(s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }

  // rowHTML draws line id with the cursor at column cc (or -1). A style
  // index below zero marks a run of wide characters, two cells each.
  function rowHTML(id, cc) {
    var l = D.lines[id], out = "", col = 0;
    for (var k = 0; k < l.length; k += 2) {
      var text = l[k], st = l[k + 1], wide = st < 0;
      if (wide) st = -st - 1;
      var chars = cells(text), w = wide ? 2 : 1;
      var cls = st > 0 ? "s" + st : "";
      if (cc >= col && cc < col + chars.length * w) {
        var ci = Math.floor((cc - col) / w);
        out += span(chars.slice(0, ci).join(""), cls, wide);
        out += span(chars[ci], cls + " cur", wide);
        out += span(chars.slice(ci + 1).join(""), cls, wide);
      } else {
        out += span(text, cls, wide);
      }
      col += chars.length * w;
    }
    if (cc >= col) out += (cc > col ? " ".repeat(cc - col) : "") + '<span class="cur"> </span>';
    return out;
  }
  // cells splits text into one string per character cell: a character
  // with the combining marks drawn over it.
  var MARK = /\p{M}/u;
  function cells(text) {
    var out = [];
    Array.from(text).forEach(function (c) {
      if (out.length && MARK.test(c)) out[out.length - 1] += c; else out.push(c);
    });
    return out;
  }
  function span(text, cls, wide) {
    if (!text) return "";
    if (wide) {
      return cells(text).map(function (c) { return '<span class="w ' + cls + '">' + esc(c) + "</span>"; }).join("");
    }
    return cls ? '<span class="' + cls + '">' + esc(text) + "</span>" : esc(text);
  }

  // frameAt returns the index of the frame shown at time t.
  function frameAt(t) {
    var lo = 0, hi = at.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (at[mid] <= t + 1e-9) lo = mid + 1; else hi = mid; }
    return Math.max(0, lo - 1);
  }

  // linesAt returns the line ids of frame i: forward from the frame on
  // screen when that is close, else from the nearest keyframe.
  function linesAt(i) {
    var K = 64, from, ids;
    if (shown && i >= shownIdx && i - shownIdx <= K) { from = shownIdx; ids = shown.slice(); }
    else { from = Math.floor(i / K) * K; ids = D.k[from / K].slice(); }
    for (var j = from + 1; j <= i; j++) {
      var d = D.d[j];
      for (var x = 0; x < d.length; x += 2) ids[d[x]] = d[x + 1];
    }
    return ids;
  }

  function draw(i) {
    var ids = linesAt(i), c = D.c[i];
    var cr = c >= 0 ? Math.floor(c / D.cols) : -1, ccol = c >= 0 ? c % D.cols : -1;
    var oldCr = drawnCur >= 0 ? Math.floor(drawnCur / D.cols) : -1;
    for (var r = 0; r < D.rows; r++) {
      if (ids[r] !== drawn[r] || r === cr || r === oldCr) {
        rowsEl[r].innerHTML = rowHTML(ids[r], r === cr ? ccol : -1);
        drawn[r] = ids[r];
      }
    }
    drawnCur = c;
    shown = ids; shownIdx = i;
  }

  function currentStep(t) {
    var s = null;
    (D.steps || []).forEach(function (st) { if (st.start <= t + 1e-9) s = st; });
    return s;
  }

  var stepEls = [];
  function update() {
    var i = frameAt(time);
    if (!posterUp && i !== shownIdx) draw(i);
    var p = D.duration > 0 ? Math.min(1, time / D.duration) : 1;
    fill.style.width = (p * 100) + "%";
    bar.setAttribute("aria-valuenow", time.toFixed(2));
    timeEl.textContent = fmt(time);
    var s = currentStep(time);
    stepNow.textContent = s ? "Step " + s.n + ": " + s.name : "";
    stepEls.forEach(function (el) {
      el.classList.toggle("current", !!s && Number(el.dataset.n) === s.n);
    });
  }

  function tick(now) {
    raf = 0;
    if (!playing) return;
    time = timeStart + (now - wallStart) / 1000 * speed;
    if (time >= D.duration) { time = D.duration; update(); pause(); return; }
    update();
    raf = requestAnimationFrame(tick);
  }
  function dropPoster() {
    if (!posterUp) return;
    posterUp = false; shown = null; shownIdx = -2;
    screen.classList.remove("poster");
    bigPlay.hidden = true;
  }
  function play() {
    if (!ready) { queue.push(play); return; }
    dropPoster();
    if (time >= D.duration) time = 0;
    playing = true; timeStart = time; wallStart = performance.now();
    playBtn.textContent = "❚❚"; playBtn.setAttribute("aria-label", "Pause");
    screen.classList.add("playing");
    if (!raf) raf = requestAnimationFrame(tick);
  }
  function pause() {
    if (playing) time = Math.min(D.duration, timeStart + (performance.now() - wallStart) / 1000 * speed);
    playing = false;
    if (raf) { cancelAnimationFrame(raf); raf = 0; }
    playBtn.textContent = "▶"; playBtn.setAttribute("aria-label", "Play");
    screen.classList.remove("playing");
    update();
  }
  function seek(t) {
    if (!ready) { queue.push(function () { seek(t); }); return; }
    dropPoster();
    time = Math.max(0, Math.min(D.duration, t));
    timeStart = time; wallStart = performance.now();
    update();
  }
  function setSpeed(s) {
    if (playing) { timeStart = timeStart + (performance.now() - wallStart) / 1000 * speed; wallStart = performance.now(); }
    speed = s;
    var opt = Array.from(speedSel.options).find(function (o) { return Number(o.value) === s; });
    if (opt) speedSel.value = opt.value;
  }
  function stepSpeed(dir) {
    var opts = Array.from(speedSel.options).map(function (o) { return Number(o.value); });
    var i = opts.indexOf(speed);
    if (i < 0) i = 1;
    setSpeed(opts[Math.max(0, Math.min(opts.length - 1, i + dir))]);
  }
  // Marks to jump between: step starts, or the index's markers.
  function marks() {
    var m = (D.steps || []).map(function (s) { return s.start; });
    if (!m.length) m = (D.markers || []).map(function (x) { return x.at; });
    return m;
  }
  function nextMark(dir) {
    var m = marks(), t = time;
    if (dir > 0) { for (var i = 0; i < m.length; i++) if (m[i] > t + 1e-3) return seek(m[i]); seek(D.duration); }
    else { for (var j = m.length - 1; j >= 0; j--) if (m[j] < t - 0.5) return seek(m[j]); seek(0); }
  }
  function frameStep(dir) {
    if (playing) pause();
    var i = frameAt(time) + dir;
    i = Math.max(0, Math.min(at.length - 1, i));
    seek(at[i]);
  }
  function jumpToStep(n) {
    var s = (D.steps || []).find(function (x) { return x.n === n; });
    if (!s) return false;
    seek(s.start);
    return true;
  }

  // Search over every line the recording printed (D.xs, complete at the
  // times D.xt gives), text that scrolled away included: matches listed by
  // step and time; picking one pauses the player on the screen that line
  // was printed to.
  var xat = null, found = [], foundAt = -1, MAXLIST = 200;
  var searchIn = $("rb-search"), resultsEl = $("rb-results"), countEl = $("rb-search-count");
  function search(q) {
    found = []; foundAt = -1;
    resultsEl.textContent = "";
    q = (q || "").toLowerCase();
    if (!q || !D.xs) { countEl.textContent = ""; return 0; }
    for (var i = 0; i < D.xs.length; i++) if (D.xs[i].toLowerCase().indexOf(q) >= 0) found.push(i);
    countEl.textContent = found.length ? found.length + (found.length === 1 ? " match" : " matches") : "no match";
    var frag = document.createDocumentFragment();
    found.slice(0, MAXLIST).forEach(function (li, k) {
      var text = D.xs[li], p = text.toLowerCase().indexOf(q), s = currentStep(xat[li]);
      var el = document.createElement("li"), b = document.createElement("button");
      b.type = "button";
      b.innerHTML = '<span class="where">' + (s ? "step " + s.n + " · " : "") + fmt(xat[li]) + "</span><code>" +
        esc(text.slice(0, p)) + "<mark>" + esc(text.slice(p, p + q.length)) + "</mark>" + esc(text.slice(p + q.length)) + "</code>";
      b.addEventListener("click", function () { showMatch(k); });
      el.appendChild(b); frag.appendChild(el);
    });
    if (found.length > MAXLIST) {
      var more = document.createElement("li");
      more.textContent = "… and " + (found.length - MAXLIST) + " more: n and N go through them all";
      frag.appendChild(more);
    }
    resultsEl.appendChild(frag);
    return found.length;
  }
  function showMatch(k) {
    if (!found.length) return;
    foundAt = (k + found.length) % found.length;
    if (playing) pause();
    seek(xat[found[foundAt]]);
    countEl.textContent = (foundAt + 1) + " of " + found.length;
    Array.from(resultsEl.children).forEach(function (el, i) { el.classList.toggle("current", i === foundAt); });
    var cur = resultsEl.children[foundAt];
    if (cur && cur.scrollIntoView) cur.scrollIntoView({ block: "nearest" });
  }
  function nextMatch(dir) { if (found.length) showMatch(foundAt < 0 ? (dir > 0 ? 0 : found.length - 1) : foundAt + dir); }
  function wireSearch() {
    if (!D.xs || !D.xs.length) return;
    xat = new Float64Array(D.xt.length);
    var acc = 0;
    for (var i = 0; i < D.xt.length; i++) { acc += D.xt[i]; xat[i] = acc / 1e3; }
    $("rb-search-box").hidden = false;
    var timer = 0;
    searchIn.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { search(searchIn.value); }, 120); });
    searchIn.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        e.preventDefault(); clearTimeout(timer);
        if (searchIn.dataset.q !== searchIn.value) { search(searchIn.value); searchIn.dataset.q = searchIn.value; }
        nextMatch(e.shiftKey ? -1 : 1);
      } else if (e.key === "Escape") { searchIn.blur(); player.focus(); }
    });
    $("rb-search-next").addEventListener("click", function () { nextMatch(1); });
    $("rb-search-prev").addEventListener("click", function () { nextMatch(-1); });
  }

  function onKey(e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target && e.target.tagName) || "";
    if (tag === "SELECT" || tag === "INPUT" || tag === "TEXTAREA") return;
    var k = e.key, handled = true;
    if (k === "/" && D.xs && D.xs.length) { searchIn.focus(); searchIn.select(); }
    else if (k === "n" && found.length) nextMatch(1);
    else if (k === "N" && found.length) nextMatch(-1);
    else if (k === " " || k === "k") { if (tag === "BUTTON" && k === " ") return; playing ? pause() : play(); }
    else if (k === "ArrowLeft") seek(time - (e.shiftKey ? D.duration / 10 : 5));
    else if (k === "ArrowRight") seek(time + (e.shiftKey ? D.duration / 10 : 5));
    else if (k === "[") nextMark(-1);
    else if (k === "]") nextMark(1);
    else if (k === ",") frameStep(-1);
    else if (k === ".") frameStep(1);
    else if (k === "+" || k === "=") stepSpeed(1);
    else if (k === "-" || k === "_") stepSpeed(-1);
    else if (k === "t") toggleTheme();
    else if (k === "f") fullscreen();
    else if (k === "Home") seek(0);
    else if (k === "End") seek(D.duration);
    else if (/^[0-9]$/.test(k)) seek(D.duration * Number(k) / 10);
    else handled = false;
    if (handled) e.preventDefault();
  }

  function fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (player.requestFullscreen) player.requestFullscreen().then(fit, function () {});
  }

  function toggleTheme() {
    var cur = root.dataset.theme || (matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    root.dataset.theme = cur === "dark" ? "light" : "dark";
  }

  // fit scales the font so the recording's width fits the page's.
  var charW = 0;
  function fit() {
    if (!charW) {
      var probe = document.createElement("span");
      probe.textContent = "0123456789".repeat(10);
      probe.style.cssText = "position:absolute;visibility:hidden;font-size:100px";
      screen.appendChild(probe);
      charW = probe.getBoundingClientRect().width / 100 / 100; // per px of font size
      screen.removeChild(probe);
    }
    var avail = player.parentElement.clientWidth - 20;
    var size = Math.min(15, Math.max(4, avail / (D.cols * charW)));
    screen.style.fontSize = size.toFixed(2) + "px";
    // The screen is as wide as the recording's columns, whatever they hold.
    screen.style.width = (D.cols * charW * size).toFixed(1) + "px";
    screen.style.height = (D.rows * 1.2).toFixed(1) + "em";
  }

  function seekFromPointer(e) {
    var r = bar.getBoundingClientRect();
    seek(Math.max(0, Math.min(1, (e.clientX - r.left) / r.width)) * D.duration);
  }

  function copy(btn) {
    var code = btn.parentElement.querySelector("code");
    var text = code.textContent;
    var done = function () { btn.textContent = "copied"; setTimeout(function () { btn.textContent = "copy"; }, 1500); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { selectText(code); });
    } else { selectText(code); }
  }
  function selectText(el) {
    var r = document.createRange(); r.selectNodeContents(el);
    var s = getSelection(); s.removeAllRanges(); s.addRange(r);
  }

  function wire() {
    playBtn.addEventListener("click", function () { playing ? pause() : play(); });
    bigPlay.addEventListener("click", function () { player.focus(); play(); });
    speedSel.addEventListener("change", function () { setSpeed(Number(speedSel.value)); });
    $("rb-theme").addEventListener("click", toggleTheme);
    var dragging = false;
    bar.addEventListener("pointerdown", function (e) { dragging = true; bar.setPointerCapture(e.pointerId); seekFromPointer(e); });
    bar.addEventListener("pointermove", function (e) { if (dragging) seekFromPointer(e); });
    bar.addEventListener("pointerup", function () { dragging = false; });
    document.addEventListener("keydown", onKey);
    document.querySelectorAll(".rb-jump").forEach(function (b) {
      b.addEventListener("click", function () { seek(Number(b.dataset.start)); player.focus(); if (!playing) play(); });
    });
    document.querySelectorAll(".rb-copy").forEach(function (b) {
      b.addEventListener("click", function () { copy(b); });
    });
    stepEls = Array.from(document.querySelectorAll(".rb-step"));
    window.addEventListener("resize", fit);
    document.addEventListener("fullscreenchange", fit);
  }

  function buildMarks() {
    if (!(D.duration > 0)) return;
    var add = function (t, label, cls) {
      var m = document.createElement("div");
      m.className = "rb-mark" + (cls ? " " + cls : "");
      m.style.left = (100 * t / D.duration) + "%";
      m.title = fmt(t) + " " + label;
      // A mark takes you to its exact moment, not to where the pointer is.
      m.addEventListener("pointerdown", function (e) { e.stopPropagation(); seek(t); });
      marksEl.appendChild(m);
    };
    (D.steps || []).forEach(function (s) { add(s.start, s.n + ". " + s.name, s.status === "failed" ? "failed" : ""); });
    (D.markers || []).forEach(function (m) { add(m.at, m.label, "marker"); });
  }

  async function load() {
    var raw = $("rb-data").textContent.trim().replace(/-/g, "+").replace(/_/g, "/");
    var bin = Uint8Array.from(atob(raw), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bin]).stream().pipeThrough(new DecompressionStream("gzip"));
    return JSON.parse(await new Response(stream).text());
  }

  overlay.hidden = false;
  load().then(function (data) {
    D = data;
    at = new Float64Array(D.t.length);
    var acc = 0;
    for (var i = 0; i < D.t.length; i++) { acc += D.t[i]; at[i] = acc / 1e6; }
    styleSheet();
    var frag = document.createDocumentFragment();
    for (var r = 0; r < D.rows; r++) {
      var el = document.createElement("div");
      el.className = "rb-row";
      frag.appendChild(el); rowsEl.push(el); drawn.push(-1);
    }
    screen.textContent = "";
    screen.appendChild(frag);
    wire(); wireSearch(); buildMarks(); fit();
    overlay.hidden = true;
    ready = true;
    draw(at.length - 1); // the poster
    update();
    root.dataset.ready = "true";
    queue.splice(0).forEach(function (f) { f(); });
  }).catch(function (err) {
    overlay.querySelector("span").textContent = "This page could not load its recording: " + err;
    root.dataset.ready = "error";
  });

  // A small API for scripts and tests driving the page.
  window.RunbookPlayer = {
    play: play, pause: pause, seek: seek, jumpToStep: jumpToStep, setSpeed: setSpeed,
    // search lists the matches of q and returns how many; match(k) shows
    // the k-th (from 0) as picking it does.
    search: function (q) { searchIn.value = q; searchIn.dataset.q = q; return search(q); },
    match: showMatch,
    matches: function () {
      return found.map(function (i) { var s = currentStep(xat[i]); return { time: xat[i], step: s ? s.n : 0, text: D.xs[i] }; });
    },
    state: function () {
      var s = ready ? currentStep(time) : null;
      return { ready: ready, time: time, playing: playing, speed: speed, frame: shownIdx, step: s ? s.n : 0,
        duration: D ? D.duration : 0, poster: posterUp };
    },
    screenText: function () {
      return rowsEl.map(function (el) { return el.textContent.replace(/\s+$/, ""); }).join("\n");
    }
  };
})();
