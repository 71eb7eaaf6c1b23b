//! Live editing over WebSocket: one connection per open map in a browser.
//!
//! A session speaks `app::domain::protocol`: it waits for `Hello`, joins the map's room (which
//! gives it the catch-up and a subscription to the room's events), then relays operations to
//! the room and the room's events to the browser until either side goes away. Every failure of
//! a message gets an `Error` frame and changes nothing. A flood from one connection is slowed
//! down (its session waits for its budget to refill before reading more), which holds up only
//! that connection: nothing it sent is lost, and the others go on.

use std::time::Duration;

use app::api::auth::{Caller, SHARE_COOKIE};
use app::api::ctx::Accounts;
use app::domain::access::Role;
use app::domain::ids::LinkId;
use app::domain::ids::MapId;
use app::domain::ids::Rev;
use app::domain::protocol::{
    clean_name, is_applied, merge_applied, ClientMsg, ServerMsg, SessionId, MAX_MESSAGE_BYTES,
    MAX_OPS_PER_MESSAGE, PROTOCOL_VERSION,
};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::{Sink, SinkExt, Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::{timeout, Instant};
use tracing::Instrument;

use crate::auth::cookie;
use crate::db::StoreError;
use crate::rooms::{CatchUp, JoinError, RoomEvent, Rooms};
use crate::state::AppState;

/// How long a new connection has to say `Hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection silent this long is closed; browsers ping every 15 seconds.
const IDLE_TIMEOUT: Duration = Duration::from_secs(45);
/// How much a socket reads at a time. tungstenite zero-fills this much of its buffer before
/// every read, so its default (128 KiB) cost more than the messages themselves, which are
/// mostly under 1 KiB; a larger message still arrives whole, over several reads.
pub const READ_BUFFER_BYTES: usize = 8 * 1024;
/// How fast one connection may submit operations.
#[derive(Clone, Copy, Debug)]
pub struct LiveLimits {
    /// Sustained operations per second…
    pub ops_per_second: f64,
    /// …and how many may come at once.
    pub burst: f64,
}

impl Default for LiveLimits {
    /// Far beyond anyone editing by hand, low enough that one client cannot monopolise a map.
    fn default() -> LiveLimits {
        LiveLimits {
            ops_per_second: 50.0,
            burst: 300.0,
        }
    }
}
/// What a browser is told to wait before reconnecting after the server closes its socket.
const RETRY_MS: u32 = 1000;
/// …and when the server is restarting, long enough for it to come back.
const RESTART_RETRY_MS: u32 = 3000;

/// How a connection may use the map.
#[derive(Clone, Debug)]
pub struct Access {
    /// Viewers and share-link visitors follow the map but cannot change it.
    pub read_only: bool,
    /// The share link the connection came through, so revoking it can end the connection.
    pub link: Option<LinkId>,
    /// The account name to show; visitors without an account use the name they give.
    pub name: Option<String>,
}

#[derive(Deserialize)]
pub struct LiveQuery {
    /// A share link's token, for visitors without an account.
    share: Option<String>,
}

/// `GET /ws/maps/{id}`: upgrades to a live-editing session on a map the caller may see.
pub async fn upgrade(
    // Extracted last, as a result: who may connect is settled before whether they can.
    Path(raw_id): Path<String>,
    Query(query): Query<LiveQuery>,
    caller: Option<Extension<Caller>>,
    headers: HeaderMap,
    State(state): State<AppState>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(id) = raw_id.parse::<MapId>() else {
        return (StatusCode::NOT_FOUND, "no such map").into_response();
    };
    let user = caller.and_then(|Extension(caller)| caller.user);
    let access = match (user, query.share) {
        (Some(user), _) => match state.accounts.role(&user, id).await {
            Ok(Some(role)) => Access {
                read_only: role < Role::Editor,
                link: None,
                name: Some(user.name),
            },
            Ok(None) => return (StatusCode::NOT_FOUND, "no such map").into_response(),
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        (None, Some(token)) => {
            let grant = cookie(&headers, SHARE_COOKIE);
            match state.accounts.open_share(token, grant).await {
                Ok((map, link)) if map == id => Access {
                    read_only: true,
                    link: Some(link),
                    name: None,
                },
                _ => return (StatusCode::NOT_FOUND, "no such map").into_response(),
            }
        }
        (None, None) => return (StatusCode::UNAUTHORIZED, "please sign in").into_response(),
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    let (rooms, limits) = (state.rooms, state.live_limits);
    // Frames beyond twice the protocol's limit are cut off by the socket itself; anything
    // between is answered with an error frame below.
    ws.max_message_size(2 * MAX_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket: WebSocket| async move {
            let (sink, stream) = socket.split();
            run(rooms, limits, id, access, sink, stream).await;
        })
}

/// A token bucket of operations: refills at `ops_per_second` up to `burst`.
struct Budget {
    limits: LiveLimits,
    tokens: f64,
    at: Instant,
}

impl Budget {
    fn new(limits: LiveLimits) -> Budget {
        Budget {
            limits,
            tokens: limits.burst,
            at: Instant::now(),
        }
    }

    /// Takes `n` tokens, first waiting for the bucket to hold them.
    async fn take(&mut self, n: usize) {
        let n = (n.max(1) as f64).min(self.limits.burst);
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * self.limits.ops_per_second;
        self.tokens = (self.tokens + refill).min(self.limits.burst);
        self.at = now;
        if self.tokens < n {
            let wait = (n - self.tokens) / self.limits.ops_per_second;
            tokio::time::sleep(Duration::from_secs_f64(wait)).await;
            self.tokens = n;
            self.at = Instant::now();
        }
        self.tokens -= n;
    }
}

async fn send<S>(sink: &mut S, msg: &ServerMsg) -> bool
where
    S: Sink<Message> + Unpin,
{
    match serde_json::to_string(msg) {
        Ok(json) => sink.send(Message::Text(json.into())).await.is_ok(),
        Err(err) => {
            tracing::error!(%err, "cannot encode a server message");
            false
        }
    }
}

enum Incoming {
    Msg(ClientMsg),
    /// Not a message we can act on; the reason goes back as an error frame.
    Bad(String),
    Closed,
}

fn parse(frame: Option<Result<Message, axum::Error>>) -> Option<Incoming> {
    match frame {
        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => Some(Incoming::Closed),
        Some(Ok(Message::Text(text))) if text.len() > MAX_MESSAGE_BYTES => Some(Incoming::Bad(
            format!("message too large (over {MAX_MESSAGE_BYTES} bytes)"),
        )),
        Some(Ok(Message::Text(text))) => Some(match serde_json::from_str(&text) {
            Ok(msg) => Incoming::Msg(msg),
            Err(err) => Incoming::Bad(format!("malformed message: {err}")),
        }),
        Some(Ok(Message::Binary(_))) => Some(Incoming::Bad("text frames only".into())),
        // Pings are answered by the socket itself.
        Some(Ok(Message::Ping(_) | Message::Pong(_))) => None,
    }
}

/// Runs one connection until it closes.
pub async fn run<S, R>(
    rooms: Rooms,
    limits: LiveLimits,
    map: MapId,
    access: Access,
    mut sink: S,
    mut stream: R,
) where
    S: Sink<Message> + Unpin,
    R: Stream<Item = Result<Message, axum::Error>> + Unpin,
{
    let hello = timeout(HELLO_TIMEOUT, async {
        loop {
            if let Some(incoming) = parse(stream.next().await) {
                return incoming;
            }
        }
    })
    .await;
    let (since, name) = match hello {
        Ok(Incoming::Msg(ClientMsg::Hello {
            protocol,
            since,
            name,
        })) if protocol == PROTOCOL_VERSION => {
            (since, clean_name(access.name.as_deref().unwrap_or(&name)))
        }
        Ok(Incoming::Msg(ClientMsg::Hello { protocol, .. })) => {
            let reason = format!("protocol {protocol} is not spoken here (this server speaks {PROTOCOL_VERSION}); reload the page");
            let _ = send(
                &mut sink,
                &ServerMsg::Closing {
                    reason,
                    retry_ms: 0,
                },
            )
            .await;
            return;
        }
        Ok(Incoming::Closed) => return,
        _ => {
            let reason = "the first message must be hello".to_owned();
            let _ = send(
                &mut sink,
                &ServerMsg::Closing {
                    reason,
                    retry_ms: RETRY_MS,
                },
            )
            .await;
            return;
        }
    };

    let membership = match rooms.join(map, name.clone(), since).await {
        Ok(membership) => membership,
        Err(err) => {
            if let JoinError::Store(StoreError::Internal(detail)) = &err {
                tracing::error!(%detail, "cannot join a map");
            }
            let retry_ms = if matches!(err, JoinError::Full) {
                30_000
            } else {
                RETRY_MS
            };
            let reason = err.to_string();
            let _ = send(&mut sink, &ServerMsg::Closing { reason, retry_ms }).await;
            return;
        }
    };
    let span = tracing::info_span!("live", %map, session = membership.session.0);
    let mut session = Session {
        rooms: rooms.clone(),
        map,
        id: membership.session,
        author: name,
        budget: Budget::new(limits),
        access,
    };
    async move {
        tracing::debug!(name = %session.author, "joined");
        let outcome = session.live(membership, &mut sink, &mut stream).await;
        session.rooms.leave(map, session.id);
        if let Some(reason) = outcome {
            let retry_ms = match reason.as_str() {
                RESTARTING => RESTART_RETRY_MS,
                // Reconnecting through a revoked link would only be refused.
                REVOKED => 0,
                _ => RETRY_MS,
            };
            let closing = ServerMsg::Closing { reason, retry_ms };
            let _ = send(&mut sink, &closing).await;
        }
        let _ = sink.close().await;
        tracing::debug!("left");
    }
    .instrument(span)
    .await;
}

/// Joins each run of `Applied` frames into one: a connection that fell a few commits behind
/// then sends (and its browser applies) one message instead of several.
fn join_applied(frames: Vec<Message>) -> Vec<Message> {
    let mut joined = Vec::with_capacity(frames.len());
    let mut run: Vec<Utf8Bytes> = Vec::new();
    for frame in frames {
        match frame {
            Message::Text(text) if is_applied(&text) => run.push(text),
            other => {
                end_run(&mut joined, &mut run);
                joined.push(other);
            }
        }
    }
    end_run(&mut joined, &mut run);
    joined
}

fn end_run(joined: &mut Vec<Message>, run: &mut Vec<Utf8Bytes>) {
    let merged = match run.len() {
        0 => return,
        1 => None,
        _ => merge_applied(run.iter().map(Utf8Bytes::as_str)),
    };
    match merged {
        Some(merged) => {
            run.clear();
            joined.push(Message::Text(merged.into()));
        }
        None => joined.extend(run.drain(..).map(Message::Text)),
    }
}

const RESTARTING: &str = "the server is restarting";
const REVOKED: &str = "this share link was revoked";

/// A joined connection.
struct Session {
    rooms: Rooms,
    map: MapId,
    id: SessionId,
    /// The name its operations are logged under.
    author: String,
    budget: Budget,
    access: Access,
}

impl Session {
    /// The connected part of a session. Returns why the server ends it, if it does.
    async fn live<S, R>(
        &mut self,
        membership: crate::rooms::Membership,
        sink: &mut S,
        stream: &mut R,
    ) -> Option<String>
    where
        S: Sink<Message> + Unpin,
        R: Stream<Item = Result<Message, axum::Error>> + Unpin,
    {
        let crate::rooms::Membership {
            mut events,
            catch_up,
            rev,
            ..
        } = membership;
        let (welcome, log) = match catch_up {
            CatchUp::Log(log) => (None, log),
            CatchUp::Map(map, _) => (Some(map), Vec::new()),
        };
        let mut last_sent = rev;
        let welcome = ServerMsg::Welcome {
            session: self.id,
            rev,
            map: welcome,
        };
        if !send(sink, &welcome).await {
            return None;
        }
        if !log.is_empty() && !send(sink, &ServerMsg::Applied { log }).await {
            return None;
        }

        let mut deadline = Instant::now() + IDLE_TIMEOUT;
        let closing = self.rooms.closing();
        tokio::pin!(closing);
        loop {
            tokio::select! {
                frame = stream.next() => {
                    deadline = Instant::now() + IDLE_TIMEOUT;
                    let reply = match parse(frame) {
                        None => continue,
                        Some(Incoming::Closed) => return None,
                        Some(Incoming::Bad(message)) => vec![ServerMsg::Error { message }],
                        Some(Incoming::Msg(msg)) => self.handle(msg).await,
                    };
                    for msg in &reply {
                        if !send(sink, msg).await {
                            return None;
                        }
                    }
                }
                event = events.recv() => {
                    // Whatever else has queued up goes out in the same write.
                    let mut frames = Vec::new();
                    let mut next = Some(event);
                    while let Some(event) = next {
                        match self.frame(event, &mut last_sent).await {
                            Ok(Some(frame)) => frames.push(frame),
                            Ok(None) => {}
                            Err(reason) => return Some(reason),
                        }
                        next = match events.try_recv() {
                            Ok(event) => Some(Ok(event)),
                            Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                            Err(TryRecvError::Empty | TryRecvError::Closed) => None,
                        };
                    }
                    for frame in join_applied(frames) {
                        if sink.feed(frame).await.is_err() {
                            return None;
                        }
                    }
                    if sink.flush().await.is_err() {
                        return None;
                    }
                }
                () = tokio::time::sleep_until(deadline) => return Some("no message for too long".into()),
                () = &mut closing => return Some(RESTARTING.into()),
            }
        }
    }

    /// The frame that tells this connection about `event`, if it needs telling; `Err` says why
    /// the connection must end instead.
    async fn frame(
        &self,
        event: Result<RoomEvent, RecvError>,
        last_sent: &mut Rev,
    ) -> Result<Option<Message>, String> {
        let msg = match event {
            Ok(RoomEvent::Applied { log, json }) => {
                let Some(last) = log.last().map(|l| l.rev) else {
                    return Ok(None);
                };
                if log.first().is_some_and(|l| l.rev > *last_sent) {
                    // The usual case: all of it is new, and already encoded for everyone.
                    *last_sent = last;
                    return Ok(Some(Message::Text(json)));
                }
                let fresh: Vec<_> = log.iter().filter(|l| l.rev > *last_sent).cloned().collect();
                if fresh.is_empty() {
                    return Ok(None);
                }
                *last_sent = last;
                ServerMsg::Applied { log: fresh }
            }
            Ok(RoomEvent::Peers(peers)) => ServerMsg::Peers {
                peers: peers.to_vec(),
            },
            Ok(RoomEvent::Revoked(link)) if self.access.link == Some(link) => {
                return Err(REVOKED.into());
            }
            Ok(RoomEvent::Revoked(_)) => return Ok(None),
            Ok(RoomEvent::FeedbackChanged) => ServerMsg::FeedbackChanged,
            // This connection fell behind the room's events: resend from where it was.
            Err(RecvError::Lagged(_)) => match self.rooms.catch_up(self.map, *last_sent).await {
                Ok(CatchUp::Log(log)) => {
                    *last_sent = log.last().map_or(*last_sent, |l| l.rev);
                    ServerMsg::Applied { log }
                }
                Ok(CatchUp::Map(..)) | Err(_) => {
                    return Err("fell too far behind; reconnecting".into())
                }
            },
            Err(RecvError::Closed) => return Err("the map closed".into()),
        };
        match serde_json::to_string(&msg) {
            Ok(json) => Ok(Some(Message::Text(json.into()))),
            Err(err) => {
                tracing::error!(%err, "cannot encode a server message");
                Ok(None)
            }
        }
    }

    /// Acts on one message and returns what to send back to this connection.
    async fn handle(&mut self, msg: ClientMsg) -> Vec<ServerMsg> {
        let error = |message: String| vec![ServerMsg::Error { message }];
        match msg {
            ClientMsg::Ping => vec![ServerMsg::Pong],
            ClientMsg::Hello { .. } => error("already said hello".into()),
            ClientMsg::Presence { focus } => {
                self.budget.take(1).await;
                self.rooms.set_focus(self.map, self.id, focus);
                Vec::new()
            }
            ClientMsg::Submit { .. } if self.access.read_only => {
                error("you can view this map but not change it".into())
            }
            ClientMsg::Submit { ops } => {
                if ops.len() > MAX_OPS_PER_MESSAGE {
                    return error(format!(
                        "at most {MAX_OPS_PER_MESSAGE} operations per message"
                    ));
                }
                self.budget.take(ops.len()).await;
                match self.rooms.submit(self.map, ops, &self.author).await {
                    Ok(submitted) => {
                        let rejected =
                            submitted.rejected.into_iter().map(|r| ServerMsg::Rejected {
                                op: r.op,
                                error: r.error,
                            });
                        let known = submitted.known.into_iter().map(|k| ServerMsg::Known {
                            op: k.op,
                            rev: k.rev,
                        });
                        rejected.chain(known).collect()
                    }
                    Err(StoreError::NotFound) => error("this map was deleted".into()),
                    Err(StoreError::Conflict(message)) => error(message),
                    Err(StoreError::Internal(detail)) => {
                        tracing::error!(%detail, "cannot apply operations");
                        error("the server could not save that; it will be sent again".into())
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::protocol::applied_json;

    fn texts(frames: &[Message]) -> Vec<&str> {
        frames
            .iter()
            .filter_map(|f| match f {
                Message::Text(text) => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn runs_of_applied_frames_are_sent_as_one() {
        let applied = |revs: std::ops::RangeInclusive<u64>| {
            let log: Vec<_> = revs
                .map(|rev| app::domain::sync::Logged {
                    rev: Rev(rev),
                    op: app::domain::edit::Op {
                        id: app::domain::ids::OpId::from_uuid(uuid::Uuid::now_v7()),
                        edit: app::domain::edit::Edit::SetGoals {
                            text: app::domain::text::Text::parse("Goals").unwrap(),
                        },
                    },
                })
                .collect();
            (
                log.clone(),
                Message::Text(applied_json(&log).unwrap().into()),
            )
        };
        let ((one, a), (two, b), (three, c)) = (applied(1..=1), applied(2..=3), applied(4..=4));
        let pong = Message::Text(r#"{"type":"pong"}"#.into());
        let frames = join_applied(vec![a, b, pong.clone(), c]);

        let expected_first = applied_json(&[one, two].concat()).unwrap();
        let expected_last = applied_json(&three).unwrap();
        assert_eq!(
            texts(&frames),
            [
                expected_first.as_str(),
                r#"{"type":"pong"}"#,
                expected_last.as_str()
            ]
        );
    }
}
