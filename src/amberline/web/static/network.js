// Network page: the graph of ads and shared keys (Cytoscape.js) and the movement path over a
// US map drawn from bundled us-atlas boundaries (d3-geo + topojson-client). No outside calls.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("network-data").textContent);
  var colours = { ad: "#fbbf24", phone: "#2e62c9", email: "#7c3aed", handle: "#0e9384" };

  var cy = cytoscape({
    container: document.getElementById("graph"),
    elements: data.graph.nodes.concat(data.graph.edges),
    // Spread nodes out and cap the zoom so that a 50-ad network stays readable.
    layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: 600000,
              idealEdgeLength: 70, padding: 24 },
    maxZoom: 1.6,
    style: [
      { selector: "node", style: { "label": "data(label)", "font-size": 9, "min-zoomed-font-size": 7, "width": 14, "height": 14,
          "background-color": function (n) { return colours[n.data("type")] || "#667085"; } } },
      { selector: "node[type = 'ad']", style: { "shape": "round-rectangle", "width": 18, "height": 18 } },
      { selector: "edge", style: { "width": 1.2, "line-color": "#b8c0cc", "curve-style": "bezier" } },
      { selector: "edge[kind = 'near_dup'], edge[kind = 'template'], edge[kind = 'pdq'], edge[kind = 'md5']",
        style: { "line-style": "dashed", "line-color": "#b45309" } }
    ]
  });
  cy.on("tap", "node[type = 'ad']", function (e) { window.location = "/ads/" + e.target.data("ad"); });
  window.amberlineGraph = cy;

  var svg = document.getElementById("map");
  var stops = data.path.filter(function (p) { return p.lat !== null && p.lon !== null; });
  fetch("/static/vendor/states-10m.json", { credentials: "same-origin" })
    .then(function (r) { return r.json(); })
    .then(function (us) {
      var states = topojson.feature(us, us.objects.states);
      var projection = d3.geoAlbersUsa().fitSize([960, 600], states);
      var path = d3.geoPath(projection);
      var ns = "http://www.w3.org/2000/svg";
      states.features.forEach(function (f) {
        var el = document.createElementNS(ns, "path");
        el.setAttribute("d", path(f)); el.setAttribute("class", "state");
        svg.appendChild(el);
      });
      var placed = stops.map(function (p) { return { stop: p, xy: projection([p.lon, p.lat]) }; })
        .filter(function (s) { return s.xy; });
      var points = placed.map(function (s) { return s.xy; });
      if (points.length > 1) {
        var line = document.createElementNS(ns, "polyline");
        line.setAttribute("points", points.map(function (xy) { return xy.join(","); }).join(" "));
        line.setAttribute("class", "route");
        svg.appendChild(line);
      }
      points.forEach(function (xy, i) {
        var dot = document.createElementNS(ns, "circle");
        dot.setAttribute("cx", xy[0]); dot.setAttribute("cy", xy[1]); dot.setAttribute("r", 9);
        dot.setAttribute("class", "stop");
        var label = document.createElementNS(ns, "text");
        label.setAttribute("x", xy[0] + 8); label.setAttribute("y", xy[1] - 6);
        label.textContent = (i + 1) + ". " + placed[i].stop.city;
        svg.appendChild(dot); svg.appendChild(label);
      });
      svg.setAttribute("data-drawn", String(points.length));
    });
})();
