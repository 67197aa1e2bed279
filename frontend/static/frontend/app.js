// Progressive enhancement only: every page works without this file.
// Live updates: the per-user websocket pushes JSON messages; an element with
// [data-live-count="<kind>"] shows the latest count of that kind.
(function () {
  "use strict";
  var body = document.body;
  var path = body && body.getAttribute("data-ws");
  if (!path || !("WebSocket" in window)) { return; }
  var delay = 1000;
  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket = new WebSocket(scheme + window.location.host + path);
    socket.onopen = function () { delay = 1000; };
    socket.onmessage = function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      if (!data || typeof data.kind !== "string" || typeof data.count !== "number") { return; }
      var nodes = document.querySelectorAll('[data-live-count="' + data.kind + '"]');
      for (var i = 0; i < nodes.length; i++) {
        nodes[i].textContent = String(data.count);
        nodes[i].hidden = data.count === 0;
      }
      document.dispatchEvent(new CustomEvent("assohub:push", { detail: data }));
    };
    socket.onclose = function () {
      // Back off up to a minute: a server restart or a Redis outage must not hammer anything.
      window.setTimeout(connect, delay);
      delay = Math.min(delay * 2, 60000);
    };
  }
  connect();
})();
