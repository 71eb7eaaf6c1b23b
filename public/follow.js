// Keeps a read-only map (a share link or an embed) up to date, without the app's bundle.
//
// The page is server-rendered and complete without this script. The script follows the map's
// socket (the protocol of app/src/domain/protocol.rs, as a viewer that never submits) and,
// whenever the map or its feedback changes, fetches the page again and swaps in the fresh map,
// keeping the reader's scroll position. When the link stops working it reloads, so the server
// says why.
(() => {
  const QUIET_MS = 250; // edits arriving together are fetched once
  const FEEDBACK_MS = 2000; // a busy survey integration sends many batches
  const PING_MS = 20000; // the server drops a connection silent for 45 s
  const MAX_RETRY_MS = 30000;

  const current = () => document.querySelector("[data-follow-map]");
  const root = current();
  if (!root || !("WebSocket" in window)) return;
  const map = root.dataset.followMap;
  const protocol = Number(root.dataset.protocol);
  const token = location.pathname.split("/")[2];
  let rev = Number(root.dataset.rev);
  let retryMs = 1000;
  let due = null;
  let fetching = false;
  let again = false;

  const status = (text) => {
    const el = current()?.querySelector("[data-follow-status]");
    if (el) {
      el.textContent = text;
      el.hidden = false;
    }
  };

  const schedule = (ms) => {
    if (due === null) due = setTimeout(refresh, ms);
  };

  async function refresh() {
    due = null;
    if (fetching) {
      again = true;
      return;
    }
    fetching = true;
    try {
      const reply = await fetch(location.href, { credentials: "same-origin" });
      const page = new DOMParser().parseFromString(await reply.text(), "text/html");
      const fresh = page.querySelector("[data-follow-map]");
      if (!fresh) {
        location.reload();
        return;
      }
      const old = current();
      const grid = old.querySelector(".grid-scroll");
      const at = grid && [grid.scrollLeft, grid.scrollTop];
      old.replaceWith(fresh);
      const newGrid = fresh.querySelector(".grid-scroll");
      if (at && newGrid) [newGrid.scrollLeft, newGrid.scrollTop] = at;
      rev = Math.max(rev, Number(fresh.dataset.rev));
      status("· updates live as the team edits");
    } catch {
      schedule(retryMs);
    } finally {
      fetching = false;
      if (again) {
        again = false;
        schedule(QUIET_MS);
      }
    }
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/ws/maps/${map}?share=${encodeURIComponent(token)}`;
    const socket = new WebSocket(url);
    let ping = null;
    let ended = false;
    socket.onopen = () => {
      socket.send(JSON.stringify({ hello: { protocol, since: rev, name: "Viewer" } }));
      ping = setInterval(() => socket.send(JSON.stringify("ping")), PING_MS);
    };
    socket.onmessage = (event) => {
      // Messages are externally tagged: "pong", or {"applied": {…}}.
      let type, msg;
      try {
        const parsed = JSON.parse(event.data);
        [type, msg] = typeof parsed === "string" ? [parsed, {}] : Object.entries(parsed)[0];
      } catch {
        return;
      }
      switch (type) {
        case "welcome":
          retryMs = 1000;
          status("· updates live as the team edits");
          if (msg.map || msg.rev > rev) schedule(0);
          break;
        case "applied":
          if (msg.log.some((entry) => entry.rev > rev)) schedule(QUIET_MS);
          break;
        case "feedback_changed":
          schedule(FEEDBACK_MS);
          break;
        case "ended":
          ended = true;
          location.reload();
          break;
      }
    };
    socket.onclose = () => {
      clearInterval(ping);
      if (ended) return;
      status("· reconnecting…");
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, MAX_RETRY_MS);
    };
  }

  connect();
})();
