// The lipwatch page: polls the monitor's JSON API (relative URLs, so it also works behind a path prefix) and draws
// the models table, a selected model's charts over versions, and its versions table. No build step: plain ES2017 and
// the vendored uPlot. Every string from the API goes through textContent, never innerHTML (check messages and DLQ
// details come from snapshot senders).
(function () {
  "use strict";
  var POLL_MS = 3000;
  var PALETTE = ["#3b6fd8", "#d8573b", "#2e9e5b", "#8e44ad", "#c99a00", "#1b9aaa", "#e0609a", "#6b7a8f"];
  var selected = decodeURIComponent(location.hash.slice(1)) || null;
  var charts = {};           // id -> uPlot
  var chartKeys = {};        // id -> series signature, to rebuild only when the series change
  var chartLabels = {};      // id -> the version numbers at x = 0, 1, 2, …
  var lastVersionsJson = {}; // model -> last body, to redraw only on change

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function fmt(x, digits) {
    if (x === undefined || x === null) return "–";
    if (typeof x !== "number") return String(x);
    if (x !== 0 && (Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3)) return x.toExponential(digits || 3);
    return x.toPrecision(digits || 4);
  }

  function status(text, isError) {
    var s = document.getElementById("status");
    s.textContent = text;
    s.className = isError ? "status error" : "status";
  }

  function getJson(url) {
    return fetch(url, { cache: "no-store" }).then(function (r) {
      if (r.status === 404) return null;
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  function verdictCell(verdict, model) {
    var td = el("td", verdict || "–", "verdict verdict-" + (verdict || "none"));
    if (model) td.setAttribute("data-model", model);
    return td;
  }

  function renderModels(models) {
    var tbody = document.querySelector("#models tbody");
    tbody.textContent = "";
    document.getElementById("no-models").hidden = models.length > 0;
    models.sort(function (a, b) { return a.model < b.model ? -1 : a.model > b.model ? 1 : 0; });
    models.forEach(function (m) {
      var tr = el("tr");
      tr.setAttribute("data-model", m.model);
      if (m.model === selected) tr.className = "selected";
      tr.appendChild(el("td", m.model));
      var v = el("td", m.version, "num version");
      tr.appendChild(v);
      var vc = verdictCell(m.verdict, m.model);
      if (m.rejected) vc.title = "rejected: " + m.rejected;
      tr.appendChild(vc);
      tr.appendChild(el("td", fmt(m.bestUpper), "num"));
      tr.appendChild(el("td", fmt(m.bestLower), "num"));
      tr.appendChild(el("td", fmt(m.cleanAccuracy), "num"));
      tr.appendChild(el("td", m.lastPassVersion === null || m.lastPassVersion === undefined ? "–" : m.lastPassVersion, "num"));
      tr.appendChild(el("td", m.pinnedVersion === null || m.pinnedVersion === undefined ? "–" : m.pinnedVersion, "num"));
      tr.appendChild(el("td", m.versions, "num"));
      tr.addEventListener("click", function () { select(m.model); });
      tbody.appendChild(tr);
    });
    if ((!selected || !models.some(function (m) { return m.model === selected; })) && models.length > 0) {
      selected = models[0].model;
    }
  }

  function select(model) {
    selected = model;
    history.replaceState(null, "", "#" + encodeURIComponent(model));
    lastVersionsJson = {};
    refresh();
  }

  // One chart: x = the versions' positions (version numbers may be timestamps: evenly spaced, labelled with the
  // number), one array per series (null where a version has no value, e.g. a rejected one).
  function drawChart(id, labels, series, opts) {
    var host = document.getElementById(id);
    var xs = labels.map(function (_, i) { return i; });
    chartLabels[id] = labels;
    var key = series.map(function (s) { return s.label; }).join("|") + "|" + (opts.log ? "log" : "lin");
    var data = [xs].concat(series.map(function (s) { return s.values; }));
    host.setAttribute("data-versions", String(xs.length));
    host.setAttribute("data-series", String(series.length));
    if (charts[id] && chartKeys[id] === key) {
      charts[id].setData(data);
      return;
    }
    if (charts[id]) charts[id].destroy();
    host.textContent = "";
    var width = Math.max(300, host.clientWidth || 420);
    var config = {
      width: width,
      height: 250,
      scales: {
        x: { time: false, range: function (u, min, max) { return [min - 0.3, max + 0.3]; } },
        y: opts.log ? { distr: 3 } : { range: [0, 1] }
      },
      axes: [
        { label: "version", values: function (u, ticks) { return ticks.map(function (t) { return versionAt(id, t); }); } },
        { label: opts.yLabel, size: 60 }
      ],
      series: [{ label: "version", value: function (u, t) { return versionAt(id, t); } }].concat(series.map(function (s, i) {
        return { label: s.label, stroke: s.color || PALETTE[i % PALETTE.length], width: 2, spanGaps: false,
          points: { show: true, size: 5 }, value: function (u, v) { return fmt(v); } };
      })),
      bands: opts.bands || [],
      legend: { live: true }
    };
    charts[id] = new uPlot(config, data, host);
    chartKeys[id] = key;
  }

  function versionAt(id, t) {
    var labels = chartLabels[id] || [];
    return Number.isInteger(t) && labels[t] !== undefined ? "v" + labels[t] : "";
  }

  function positive(x) { return typeof x === "number" && x > 0 && isFinite(x) ? x : null; }
  function num(x) { return typeof x === "number" && isFinite(x) ? x : null; }

  function keysOf(versions, field) {
    var keys = {};
    versions.forEach(function (v) { Object.keys(v[field] || {}).forEach(function (k) { keys[k] = true; }); });
    return Object.keys(keys).sort(function (a, b) {
      var ea = parseFloat(a.split("/").pop()), eb = parseFloat(b.split("/").pop());
      return a.split("/").slice(0, -1).join("/") === b.split("/").slice(0, -1).join("/") ? ea - eb : (a < b ? -1 : 1);
    });
  }

  function renderDetail(body) {
    var section = document.getElementById("detail");
    section.hidden = false;
    document.getElementById("detail-title").textContent = body.model;
    var versions = (body.versions || []).slice().sort(function (a, b) { return a.version - b.version; });
    var xs = versions.map(function (v) { return v.version; });
    drawChart("chart-bounds", xs, [
      { label: "bestUpper", values: versions.map(function (v) { return positive(v.bestUpper); }), color: "#d8573b" },
      { label: "bestLower", values: versions.map(function (v) { return positive(v.bestLower); }), color: "#3b6fd8" }
    ], { log: true, yLabel: "Lipschitz constant", bands: [{ series: [1, 2], fill: "rgba(59,111,216,0.15)" }] });
    // PGD is the strongest attack the probes run; the others (FGSM, noise) only when a snapshot has no PGD figures
    var attackKeys = keysOf(versions, "robustAccuracy");
    var pgdKeys = attackKeys.filter(function (k) { return k.indexOf("pgd/") === 0; });
    var robustKeys = pgdKeys.length ? pgdKeys : attackKeys;
    var robust = [{ label: "clean", values: versions.map(function (v) { return num(v.cleanAccuracy); }), color: "#1d2330" }]
      .concat(robustKeys.map(function (k) {
        var p = k.split("/");
        return { label: p[0] + " " + p[1] + " ε=" + p[2], values: versions.map(function (v) { return num((v.robustAccuracy || {})[k]); }) };
      }));
    drawChart("chart-robust", xs, robust, { yLabel: "accuracy" });
    var certKeys = keysOf(versions, "certifiedAccuracy");
    drawChart("chart-certified", xs, certKeys.map(function (k) {
      var p = k.split("/");
      return { label: "certified " + p[0] + " ε=" + p[1], values: versions.map(function (v) { return num((v.certifiedAccuracy || {})[k]); }) };
    }), { yLabel: "accuracy" });
    renderVersions(versions.slice().reverse());
  }

  function renderVersions(versions) {
    var tbody = document.querySelector("#versions tbody");
    tbody.textContent = "";
    versions.forEach(function (v) {
      var tr = el("tr");
      tr.setAttribute("data-version", String(v.version));
      tr.appendChild(el("td", v.version, "num"));
      tr.appendChild(verdictCell(v.verdict));
      tr.appendChild(el("td", v.baselineVersion === undefined || v.baselineVersion === null ? "–" : v.baselineVersion, "num"));
      tr.appendChild(el("td", fmt(v.bestUpper), "num"));
      tr.appendChild(el("td", fmt(v.bestLower), "num"));
      tr.appendChild(el("td", fmt(v.cleanAccuracy), "num"));
      var td = el("td");
      if (v.rejected) td.appendChild(el("div", "rejected: " + v.rejected, "rejected"));
      // the checks that did not pass in full; the passing ones folded (a verdict has a dozen or more)
      var checks = v.checks || [];
      var notPassed = checks.filter(function (c) { return c.status !== "PASS"; });
      var passed = checks.filter(function (c) { return c.status === "PASS"; });
      if (notPassed.length) td.appendChild(checkList(notPassed));
      if (passed.length) {
        var details = el("details");
        details.appendChild(el("summary", passed.length + (passed.length === 1 ? " check passed" : " checks passed")));
        details.appendChild(checkList(passed));
        td.appendChild(details);
      }
      tr.appendChild(td);
      var at = v.estimatedAt || v.rejectedAt;
      tr.appendChild(el("td", at ? at.replace("T", " ").replace(/\.\d+Z$/, "Z") : "–", "at"));
      tbody.appendChild(tr);
    });
  }

  function checkList(checks) {
    var ul = el("ul", null, "checks");
    checks.forEach(function (c) {
      ul.appendChild(el("li", c.status + " " + c.name + (c.message ? ": " + c.message : ""), "check-" + c.status));
    });
    return ul;
  }

  function refresh() {
    return getJson("api/models").then(function (body) {
      var models = (body && body.models) || [];
      renderModels(models);
      status("updated " + new Date().toLocaleTimeString() + " · " + models.length + " model(s)", false);
      if (!selected) return null;
      return getJson("api/models/" + encodeURIComponent(selected) + "/versions").then(function (vb) {
        if (!vb) return;
        var s = JSON.stringify(vb);
        if (lastVersionsJson[selected] === s) return;
        lastVersionsJson[selected] = s;
        renderDetail(vb);
      });
    }).catch(function (e) {
      // the monitor may be restarting or rebalancing: say so and keep polling
      status("cannot reach the monitor API (" + e.message + "); retrying", true);
    });
  }

  function loop() {
    refresh().then(function () { setTimeout(loop, POLL_MS); });
  }

  window.addEventListener("resize", function () {
    Object.keys(charts).forEach(function (id) {
      var host = document.getElementById(id);
      charts[id].setSize({ width: Math.max(300, host.clientWidth), height: 250 });
    });
  });
  loop();
})();
