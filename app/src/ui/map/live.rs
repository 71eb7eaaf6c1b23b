//! The browser end of live editing: one WebSocket per open map, kept connected.
//!
//! It says `Hello` with the last revision the editor has, relays the server's messages to the
//! `Editor`, sends the editor's pending operations (all of them again after a reconnect; the
//! server applies each only once), pings so that a dead connection (a laptop lid closed for an
//! hour) is noticed, and reconnects with backoff. Browser only: on the server `start` does
//! nothing, since a page being rendered has nobody to talk to.

use crate::domain::ids::MapId;
use crate::ui::editor::Editor;

/// Starts the connection for `editor`. Runs until the page goes away.
#[cfg(feature = "hydrate")]
pub fn start(editor: Editor, map: MapId) {
    browser::start(editor, map);
}

#[cfg(not(feature = "hydrate"))]
pub fn start(_editor: Editor, _map: MapId) {}

#[cfg(feature = "hydrate")]
mod browser {
    use futures::channel::mpsc;
    use futures::{FutureExt, SinkExt, StreamExt};
    use gloo_net::websocket::futures::WebSocket;
    use gloo_net::websocket::Message;
    use gloo_timers::future::{IntervalStream, TimeoutFuture};
    use leptos::prelude::*;
    use leptos::task::spawn_local;

    use crate::domain::ids::MapId;
    use crate::domain::protocol::{ClientMsg, ServerMsg, PROTOCOL_VERSION};
    use crate::ui::editor::{Connection, Editor, Wake};

    const PING_EVERY_MS: u32 = 15_000;
    /// Silence after which the connection is presumed dead.
    const STALE_AFTER_MS: f64 = 40_000.0;
    const MAX_BACKOFF_MS: u32 = 30_000;
    /// How long a new connection may take to be welcomed.
    const CONNECT_TIMEOUT_MS: u32 = 10_000;

    pub fn start(editor: Editor, map: MapId) {
        let (sender, wake) = mpsc::unbounded();
        editor.attach(sender);
        // Coming back online or to the tab is a good moment to try again at once.
        let online = window_event_listener(leptos::ev::online, move |_| editor.retry());
        let visible = window_event_listener(leptos::ev::visibilitychange, move |_| {
            if document().visibility_state() == web_sys::VisibilityState::Visible {
                editor.retry();
            }
        });
        on_cleanup(move || {
            online.remove();
            visible.remove();
        });
        spawn_local(run(editor, map, wake));
    }

    fn url(map: MapId, share: Option<String>) -> String {
        let location = window().location();
        let scheme = match location.protocol().as_deref() {
            Ok("https:") => "wss",
            _ => "ws",
        };
        let host = location.host().unwrap_or_default();
        match share {
            // Share tokens are hex, safe in a query string as they are.
            Some(token) => format!("{scheme}://{host}/ws/maps/{map}?share={token}"),
            None => format!("{scheme}://{host}/ws/maps/{map}"),
        }
    }

    enum Ended {
        /// Reconnect after a pause; the connection had been live when true.
        Lost { was_live: bool },
        /// The editor is gone (the user left the page).
        Disposed,
        /// Start a new connection at once (the user changed their name).
        Restart,
    }

    async fn run(editor: Editor, map: MapId, mut wake: mpsc::UnboundedReceiver<Wake>) {
        let mut failures: u32 = 0;
        loop {
            if editor.connection.try_set(Connection::Connecting).is_some() {
                // Setting returns the value back only when the signal is disposed.
                return;
            }
            match session(&editor, map, &mut wake).await {
                Ended::Disposed => return,
                Ended::Restart => continue,
                Ended::Lost { was_live } => {
                    failures = if was_live { 1 } else { failures + 1 };
                }
            }
            if matches!(
                editor.connection.try_get_untracked(),
                Some(Connection::Closed { .. } | Connection::Ended(_)) | None
            ) {
                return;
            }
            if !matches!(
                editor.connection.get_untracked(),
                Connection::Offline { .. }
            ) {
                editor.connection.set(Connection::Offline {
                    reason: "the connection was lost".into(),
                });
            }
            let backoff = 500u32
                .saturating_mul(2u32.saturating_pow(failures.min(10)))
                .min(MAX_BACKOFF_MS);
            let jitter = (js_sys::Math::random() * f64::from(backoff) * 0.3) as u32;
            let mut pause = TimeoutFuture::new(backoff + jitter).fuse();
            loop {
                futures::select! {
                    // While the browser knows it has no network, trying only shows "Connecting…"
                    // in place of "Offline"; its `online` event wakes the loop when it is back.
                    () = pause => if browser_online() {
                        break;
                    } else {
                        pause = TimeoutFuture::new(backoff).fuse();
                    },
                    woken = wake.next() => match woken {
                        Some(Wake::Reconnect) => break,
                        Some(_) => continue,
                        None => return,
                    },
                }
            }
        }
    }

    /// Whether the browser thinks it has a network (a `false` is reliable; a `true` is a guess).
    fn browser_online() -> bool {
        window().navigator().on_line()
    }

    fn now_ms() -> f64 {
        window().performance().map_or(0.0, |p| p.now())
    }

    async fn send(
        socket: &mut futures::stream::SplitSink<WebSocket, Message>,
        msg: &ClientMsg,
    ) -> bool {
        match serde_json::to_string(msg) {
            Ok(json) => socket.send(Message::Text(json)).await.is_ok(),
            Err(_) => false,
        }
    }

    async fn session(
        editor: &Editor,
        map: MapId,
        wake: &mut mpsc::UnboundedReceiver<Wake>,
    ) -> Ended {
        let share = editor.access.with_value(|a| a.share_token.clone());
        let Ok(socket) = WebSocket::open(&url(map, share)) else {
            return Ended::Lost { was_live: false };
        };
        let (mut up, mut down) = socket.split();
        let hello = ClientMsg::Hello {
            protocol: PROTOCOL_VERSION,
            since: editor.since(),
            name: editor.name.get_untracked(),
        };
        // A handshake that neither succeeds nor fails (a half-open network) must not stall
        // reconnecting: give up on it after a while and try again.
        let mut give_up = TimeoutFuture::new(CONNECT_TIMEOUT_MS).fuse();
        futures::select! {
            sent = send(&mut up, &hello).fuse() => if !sent {
                return Ended::Lost { was_live: false };
            },
            () = give_up => return Ended::Lost { was_live: false },
        }
        editor.connection_opened();
        let mut live = false;
        let mut heard = now_ms();
        let mut pings = IntervalStream::new(PING_EVERY_MS).fuse();
        let mut down = down.by_ref().fuse();
        // Waiting to send again what the database could not save.
        let mut resend = futures::future::Fuse::<TimeoutFuture>::terminated();
        loop {
            futures::select! {
                frame = down.next() => {
                    let Some(Ok(Message::Text(text))) = frame else {
                        return Ended::Lost { was_live: live };
                    };
                    heard = now_ms();
                    // From bytes, as everything else the browser decodes (see `ui::resource`).
                    let Ok(msg) = serde_json::from_slice::<ServerMsg>(text.as_bytes()) else { continue };
                    let welcome = matches!(msg, ServerMsg::Welcome { .. });
                    let closing = matches!(msg, ServerMsg::Closing { .. } | ServerMsg::Ended { .. });
                    if editor.connection.try_get_untracked().is_none() {
                        return Ended::Disposed;
                    }
                    if !editor.receive(msg) || closing {
                        return Ended::Lost { was_live: live };
                    }
                    if let Some(wait) = editor.take_resend_wait() {
                        resend = TimeoutFuture::new(wait).fuse();
                    }
                    if welcome {
                        live = true;
                    }
                    if live && !flush(editor, &mut up).await {
                        return Ended::Lost { was_live: live };
                    }
                }
                woken = wake.next() => match woken {
                    None => return Ended::Disposed,
                    Some(Wake::Ops) if live => {
                        if !flush(editor, &mut up).await {
                            return Ended::Lost { was_live: live };
                        }
                    }
                    Some(Wake::Restart) => return Ended::Restart,
                    Some(Wake::Focus(focus)) if live => {
                        if !send(&mut up, &ClientMsg::Presence { focus }).await {
                            return Ended::Lost { was_live: live };
                        }
                    }
                    Some(_) => {}
                },
                () = resend => {
                    editor.resend_now();
                    if live && !flush(editor, &mut up).await {
                        return Ended::Lost { was_live: live };
                    }
                }
                () = give_up => if !live {
                    return Ended::Lost { was_live: false };
                },
                _ = pings.next() => {
                    if now_ms() - heard > STALE_AFTER_MS {
                        return Ended::Lost { was_live: live };
                    }
                    if !send(&mut up, &ClientMsg::Ping).await {
                        return Ended::Lost { was_live: live };
                    }
                }
            }
        }
    }

    /// Sends every pending operation not yet sent on this connection.
    async fn flush(
        editor: &Editor,
        up: &mut futures::stream::SplitSink<WebSocket, Message>,
    ) -> bool {
        loop {
            let ops = editor.take_unsent();
            if ops.is_empty() {
                return true;
            }
            if !send(up, &ClientMsg::Submit { ops }).await {
                return false;
            }
        }
    }
}
