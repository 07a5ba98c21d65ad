// The fleet page's host picker. Each host's page is stored compressed and
// opened in the frame only when picked; the player's CSS and script are
// stored once and put back into it then.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var root = $("rb-fleet"), frame = $("rb-fleet-frame"), now = $("rb-fleet-now");
  var CSS_MARK = "/*@runbook-fleet-css@*/", JS_MARK = "/*@runbook-fleet-js@*/";
  var shared = null, current = "", resizer = null;

  function unpack(text) {
    var raw = text.trim().replace(/-/g, "+").replace(/_/g, "/");
    var bin = Uint8Array.from(atob(raw), function (c) { return c.charCodeAt(0); });
    var stream = new Blob([bin]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }
  function sharedParts() {
    if (!shared) shared = unpack($("rb-fleet-shared").textContent).then(JSON.parse);
    return shared;
  }
  function dataOf(name) {
    return Array.from(document.querySelectorAll("script.rb-host-data")).find(function (s) { return s.dataset.host === name; });
  }
  function buttons() { return Array.from(document.querySelectorAll(".rbf-pick")); }
  function hosts() {
    return buttons().map(function (b) {
      var li = b.parentElement, st = li.querySelector(".rbf-status"), re = li.querySelector(".rbf-reason");
      return { name: b.dataset.host, status: st ? st.textContent : "", reason: re ? re.textContent : "", playable: !b.disabled };
    });
  }

  // fit makes the frame as tall as the host's page, so the page scrolls
  // as one.
  function fit() {
    var d = frame.contentDocument;
    if (d && d.documentElement) frame.style.height = Math.max(200, d.documentElement.scrollHeight) + "px";
  }

  function pick(name) {
    var el = dataOf(name);
    if (!el) return Promise.resolve(false);
    current = name;
    root.dataset.ready = "loading";
    buttons().forEach(function (b) { b.setAttribute("aria-current", b.dataset.host === name ? "true" : "false"); });
    var h = hosts().find(function (x) { return x.name === name; });
    now.textContent = "Host " + name + (h && h.status ? " (" + h.status + ")" : "") + ":";
    return Promise.all([sharedParts(), unpack(el.textContent)]).then(function (r) {
      if (current !== name) return false;
      var html = r[1].split(CSS_MARK).join(r[0].css).split(JS_MARK).join(r[0].js);
      return new Promise(function (done) {
        frame.onload = function () {
          if (resizer) resizer.disconnect();
          fit();
          if (window.ResizeObserver && frame.contentDocument) {
            resizer = new ResizeObserver(fit);
            resizer.observe(frame.contentDocument.body);
          }
          root.dataset.host = name;
          root.dataset.ready = "true";
          done(true);
        };
        frame.srcdoc = html;
        if (history.replaceState) history.replaceState(null, "", "#host=" + encodeURIComponent(name));
      });
    }).catch(function (err) {
      now.textContent = "Host " + name + ": the page could not load its recording: " + err;
      root.dataset.ready = "error";
      return false;
    });
  }

  // A host picked by hand gets the keys: its player is focused, as if
  // clicked (space then plays it rather than picking the host again).
  function focusPlayer() {
    var d = frame.contentDocument, el = d && d.getElementById("rb-player");
    if (el) { frame.focus(); el.focus(); }
  }
  buttons().forEach(function (b) {
    b.addEventListener("click", function () {
      pick(b.dataset.host).then(function (ok) { if (ok) focusPlayer(); });
    });
  });
  var want = decodeURIComponent((location.hash.match(/^#host=(.*)$/) || [])[1] || "");
  var first = hosts().find(function (h) { return h.playable && (!want || h.name === want); }) ||
    hosts().find(function (h) { return h.playable; });
  if (first) pick(first.name);
  else { now.textContent = "No host of this run has a recording."; root.dataset.ready = "true"; }

  // A small API for scripts and tests driving the page.
  window.RunbookFleet = {
    pick: pick, hosts: hosts,
    current: function () { return current; },
    player: function () { return frame.contentWindow && frame.contentWindow.RunbookPlayer; }
  };
})();
