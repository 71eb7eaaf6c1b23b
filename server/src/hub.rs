//! Live editing over WebSocket: one connection per open map in a browser.
//!
//! A session speaks `app::domain::protocol`: it waits for `Hello`, joins the map's room (which
//! gives it the catch-up and a subscription to the room's events), then relays operations to
//! the room and the room's events to the browser until either side goes away. Every failure of
//! a message gets an `Error` frame and changes nothing. A flood from one connection is slowed
//! down (its session waits for its budget to refill before reading more), which holds up only
//! that connection: nothing it sent is lost, and the others go on. A browser that stops reading
//! is dropped once a write has waited `LiveLimits::write_timeout`.
//!
//! What the connection may do is checked again whenever it may have changed (`access`): it is
//! downgraded (`Role`) or ended (`Ended`, then closed) as soon as its standing changes.

pub mod access;
pub mod frames;

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use app::api::auth::{Caller, SESSION_COOKIE, SHARE_COOKIE};
use app::domain::account::Token;
use app::domain::ids::{MapId, OpId, Rev};
use app::domain::protocol::{
    clean_name, ClientMsg, Ended, ServerMsg, SessionId, MAX_MESSAGE_BYTES, MAX_OPS_PER_MESSAGE,
    PROTOCOL_VERSION,
};
use app::domain::text::Name;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::{Sink, SinkExt, Stream, StreamExt};
use serde::Deserialize;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::time::{timeout, Instant};
use tracing::Instrument;

use crate::accounts::ServerAccounts;
use crate::auth::cookie;
use crate::clock::now_millis;
use crate::db::StoreError;
use crate::http::HttpError;
use crate::rooms::{AccessChange, CatchUp, JoinError, RoomEvent, Rooms, Seat};
use access::{Credential, Refusal, Standing};

/// How long a new connection has to say `Hello`.
const HELLO_TIMEOUT: Duration = Duration::from_secs(10);
/// A connection silent this long is closed; browsers ping every 15 seconds.
const IDLE_TIMEOUT: Duration = Duration::from_secs(45);
/// How much a socket reads at a time. tungstenite zero-fills this much of its buffer before
/// every read, so its default (128 KiB) cost more than the messages themselves, which are
/// mostly under 1 KiB; a larger message still arrives whole, over several reads.
pub const READ_BUFFER_BYTES: usize = 8 * 1024;

/// How fast one connection may send, and how long it may take to read.
#[derive(Clone, Copy, Debug)]
pub struct LiveLimits {
    /// Sustained operations (or other messages) per second…
    pub ops_per_second: f64,
    /// …and how many may come at once.
    pub burst: f64,
    /// Longest a write to the browser may wait; one that does not read is dropped after it.
    pub write_timeout: Duration,
}

impl Default for LiveLimits {
    /// Far beyond anyone editing by hand, low enough that one client cannot monopolise a map.
    fn default() -> LiveLimits {
        LiveLimits {
            ops_per_second: 50.0,
            burst: 300.0,
            write_timeout: Duration::from_secs(10),
        }
    }
}

/// What a browser is told to wait before reconnecting after the server closes its socket.
const RETRY_MS: u32 = 1000;
/// …when the server is restarting, long enough for it to come back.
const RESTART_RETRY_MS: u32 = 3000;
/// …and when the map is full.
const FULL_RETRY_MS: u32 = 30_000;

/// The route of a map's socket.
pub const PATH: &str = "/ws/maps/{id}";

#[derive(Deserialize)]
pub struct LiveQuery {
    /// A share link's token, for visitors without an account (or without one on this map).
    share: Option<String>,
}

/// `GET /ws/maps/{id}`: upgrades to a live-editing session on a map the caller may see.
pub async fn upgrade(
    // Extracted last, as a result: who may connect is settled before whether they can.
    Path(raw_id): Path<String>,
    Query(query): Query<LiveQuery>,
    address: Option<Extension<app::api::auth::ClientAddress>>,
    caller: Option<Extension<Caller>>,
    headers: HeaderMap,
    State(live): State<Live>,
    ws: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(map) = raw_id.parse::<MapId>() else {
        return HttpError::not_found("no such map").into_response();
    };
    let credential = Credential {
        // The middleware found a live session only when there is a caller.
        session: caller
            .and_then(|Extension(c)| c.user)
            .and(cookie(&headers, SESSION_COOKIE))
            .and_then(|raw| Token::parse(&raw)),
        link: query.share.as_deref().and_then(Token::parse).map(|token| {
            let grant = cookie(&headers, SHARE_COOKIE).and_then(|raw| Token::parse(&raw));
            (token, grant)
        }),
    };
    // Before the check, so that a change committed after it is heard (see `access`).
    let watch = live.rooms.watch_access();
    let standing = match access::resolve(&live.accounts, map, &credential).await {
        Ok(standing) => standing,
        Err(Refusal::NotSignedIn) if credential.session.is_none() && credential.link.is_none() => {
            return HttpError::unauthorized().into_response()
        }
        Err(Refusal::NotSignedIn | Refusal::NoAccess) => {
            return HttpError::not_found("no such map").into_response()
        }
        Err(Refusal::Failed(err)) => return HttpError::from(err).into_response(),
    };
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return rejection.into_response(),
    };
    // The middleware always says who is calling; a router without it counts one address.
    let address = address.map_or(IpAddr::from([0, 0, 0, 0]), |Extension(a)| a.0);
    // Frames beyond twice the protocol's limit are cut off by the socket itself; anything
    // between is answered with an error frame below.
    ws.max_message_size(2 * MAX_MESSAGE_BYTES)
        .read_buffer_size(READ_BUFFER_BYTES)
        .on_upgrade(move |socket: WebSocket| async move {
            let _counted = crate::telemetry::LiveConnection::open();
            let (sink, stream) = socket.split();
            let connection = Connection {
                map,
                credential,
                standing,
                watch,
                address,
            };
            run(live, connection, sink, stream).await;
        })
        .into_response()
}

/// What every live connection shares.
#[derive(Clone)]
pub struct Live {
    pub rooms: Rooms,
    pub accounts: ServerAccounts,
    pub limits: LiveLimits,
}

/// A connection as it was let in.
pub struct Connection {
    pub map: MapId,
    pub credential: Credential,
    pub standing: Standing,
    /// Subscribed before `standing` was worked out.
    pub watch: broadcast::Receiver<AccessChange>,
    pub address: IpAddr,
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

/// Why a session ends, when the server ends it.
#[derive(Debug)]
enum Ending {
    /// The browser went away, or stopped reading.
    Gone,
    Idle,
    Restarting,
    /// It fell too far behind the room's events to be caught up.
    FellBehind,
    MapClosed,
    /// It kept submitting after being told its operations were not saved.
    NotListening,
    /// It may no longer follow the map.
    Ended(Ended),
}

impl Ending {
    /// What to tell the browser on the way out, if it is still there.
    fn farewell(&self) -> Option<ServerMsg> {
        let closing = |reason: &str, retry_ms| {
            Some(ServerMsg::Closing {
                reason: reason.to_owned(),
                retry_ms,
            })
        };
        match self {
            Ending::Gone => None,
            Ending::Idle => closing("no message for too long", RETRY_MS),
            Ending::Restarting => closing("the server is restarting", RESTART_RETRY_MS),
            Ending::FellBehind => closing("fell too far behind; reconnecting", RETRY_MS),
            Ending::MapClosed => closing("the map closed", RETRY_MS),
            Ending::NotListening => closing("too many changes not saved; reconnecting", RETRY_MS),
            Ending::Ended(why) => Some(ServerMsg::Ended { why: *why }),
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

/// Writes `frames` and flushes them, `within` a time; false when the browser is gone or not
/// reading.
async fn write<S>(sink: &mut S, within: Duration, frames: impl IntoIterator<Item = Message>) -> bool
where
    S: Sink<Message> + Unpin,
{
    let written = timeout(within, async {
        for frame in frames {
            if sink.feed(frame).await.is_err() {
                return false;
            }
        }
        sink.flush().await.is_ok()
    });
    written.await.unwrap_or(false)
}

async fn send<S>(sink: &mut S, within: Duration, msg: &ServerMsg) -> bool
where
    S: Sink<Message> + Unpin,
{
    match frames::frame(msg) {
        Some(frame) => write(sink, within, [frame]).await,
        None => false,
    }
}

/// Runs one connection until it closes.
pub async fn run<S, R>(live: Live, connection: Connection, mut sink: S, mut stream: R)
where
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
    let closing = |reason: String, retry_ms| ServerMsg::Closing { reason, retry_ms };
    let (since, name) = match hello {
        Ok(Incoming::Msg(ClientMsg::Hello {
            protocol,
            since,
            name,
        })) if protocol == PROTOCOL_VERSION => {
            let account = connection.standing.account.as_ref();
            (since, clean_name(account.map_or(&name, |a| &a.name)))
        }
        Ok(Incoming::Msg(ClientMsg::Hello { protocol, .. })) => {
            let reason = format!("protocol {protocol} is not spoken here (this server speaks {PROTOCOL_VERSION}); reload the page");
            send(&mut sink, live.limits.write_timeout, &closing(reason, 0)).await;
            return;
        }
        Ok(Incoming::Closed) => return,
        _ => {
            let reason = "the first message must be hello".to_owned();
            send(
                &mut sink,
                live.limits.write_timeout,
                &closing(reason, RETRY_MS),
            )
            .await;
            return;
        }
    };
    let Connection {
        map,
        credential,
        standing,
        watch,
        address,
    } = connection;
    let seat = Seat {
        can_edit: standing.can_edit,
        link: standing.link,
        account: standing.account.as_ref().map(|a| a.user),
        address,
    };
    let membership = match live.rooms.join(map, name.clone(), seat, since).await {
        Ok(membership) => membership,
        Err(err) => {
            if let JoinError::Store(StoreError::Internal(detail)) = &err {
                tracing::error!(%detail, "cannot join a map");
            }
            let retry_ms = match err {
                JoinError::Full(_) => FULL_RETRY_MS,
                JoinError::Store(StoreError::NotFound) => 0,
                JoinError::Store(_) => RETRY_MS,
            };
            send(
                &mut sink,
                live.limits.write_timeout,
                &closing(err.to_string(), retry_ms),
            )
            .await;
            return;
        }
    };
    let span = tracing::info_span!("live", %map, session = membership.session.0);
    let author = Name::parse(&name).unwrap_or_else(|_| Name::someone());
    let mut session = Session {
        budget: Budget::new(live.limits),
        live,
        map,
        id: membership.session,
        author,
        credential,
        standing,
        watch,
        checked_at: Instant::now(),
        not_saved: HashSet::new(),
    };
    async move {
        tracing::debug!(name = %session.author, "joined");
        let ending = session.live(membership, &mut sink, &mut stream).await;
        session.live.rooms.leave(map, session.id);
        let within = session.live.limits.write_timeout;
        if let Some(farewell) = ending.farewell() {
            send(&mut sink, within, &farewell).await;
        }
        let _ = timeout(within, sink.close()).await;
        tracing::debug!(?ending, "left");
    }
    .instrument(span)
    .await;
}

/// A joined connection.
struct Session {
    live: Live,
    map: MapId,
    id: SessionId,
    /// The name its operations are logged under.
    author: Name,
    budget: Budget,
    credential: Credential,
    standing: Standing,
    watch: broadcast::Receiver<AccessChange>,
    /// When the standing was last worked out.
    checked_at: Instant,
    /// Operations the database failed to save, told `NotSaved`: until the browser sends one
    /// of them again, whatever else it submits is refused the same way (see `NotSaved`).
    not_saved: HashSet<OpId>,
}

/// How long a browser waits before sending operations the database could not save again.
const NOT_SAVED_RETRY_MS: u32 = 1000;
/// Most operations a session keeps refusing while it waits for its browser to send them again;
/// a browser that sends more without listening is closed (and starts afresh when it returns).
const MAX_NOT_SAVED: usize = 10_000;

impl Session {
    /// The connected part of a session, until the server or the browser ends it.
    async fn live<S, R>(
        &mut self,
        membership: crate::rooms::Membership,
        sink: &mut S,
        stream: &mut R,
    ) -> Ending
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
        // Anything announced while this connection said hello and joined.
        let role = match self.heed_access_changes().await {
            Ok(role) => role,
            Err(ending) => return ending,
        };
        let (map, log) = match catch_up {
            CatchUp::Log(log) => (None, log),
            CatchUp::Map(map, _) => {
                // Rare (a browser far behind, or one that saw a write that then failed), so a
                // copy of its own is affordable.
                let mut map = Box::new(std::sync::Arc::unwrap_or_clone(map));
                if !self.standing.shows.comments {
                    map.withhold_comments();
                }
                (Some(map), Vec::new())
            }
        };
        let mut last_sent = rev;
        let welcome = ServerMsg::Welcome {
            session: self.id,
            rev,
            map,
        };
        if !send(sink, self.out(), &welcome).await {
            return Ending::Gone;
        }
        if !log.is_empty() && !send(sink, self.out(), &self.applied(log)).await {
            return Ending::Gone;
        }
        if let Some(role) = role {
            if !send(sink, self.out(), &role).await {
                return Ending::Gone;
            }
        }

        let mut deadline = Instant::now() + IDLE_TIMEOUT;
        let closing = self.live.rooms.closing();
        tokio::pin!(closing);
        loop {
            let recheck_at = self.recheck_at();
            tokio::select! {
                frame = stream.next() => {
                    deadline = Instant::now() + IDLE_TIMEOUT;
                    let reply = match parse(frame) {
                        None => continue,
                        Some(Incoming::Closed) => return Ending::Gone,
                        Some(Incoming::Bad(message)) => {
                            self.budget.take(1).await;
                            vec![ServerMsg::Error { message }]
                        }
                        Some(Incoming::Msg(msg)) => match self.handle(msg).await {
                            Ok(reply) => reply,
                            Err(ending) => return ending,
                        },
                    };
                    if !write(sink, self.out(), reply.iter().filter_map(frames::frame)).await {
                        return Ending::Gone;
                    }
                }
                event = events.recv() => {
                    // Whatever else has queued up goes out in the same write.
                    let mut queued = Vec::new();
                    let mut next = Some(event);
                    while let Some(event) = next {
                        match self.frame(event, &mut last_sent).await {
                            Ok(Some(frame)) => queued.push(frame),
                            Ok(None) => {}
                            Err(ending) => return ending,
                        }
                        next = match events.try_recv() {
                            Ok(event) => Some(Ok(event)),
                            Err(TryRecvError::Lagged(n)) => Some(Err(RecvError::Lagged(n))),
                            Err(TryRecvError::Empty | TryRecvError::Closed) => None,
                        };
                    }
                    if !write(sink, self.out(), frames::join_applied(queued)).await {
                        return Ending::Gone;
                    }
                }
                change = self.watch.recv() => {
                    let cause = match change {
                        Ok(change) if access::concerns(change, self.map, &self.standing) => Some(change),
                        Ok(_) => continue,
                        // Missed some: any of them may have concerned this connection.
                        Err(RecvError::Lagged(_)) => None,
                        Err(RecvError::Closed) => {
                            self.watch = self.live.rooms.watch_access();
                            None
                        }
                    };
                    match self.recheck(cause).await {
                        Ok(Some(role)) => if !send(sink, self.out(), &role).await {
                            return Ending::Gone;
                        },
                        Ok(None) => {}
                        Err(ending) => return ending,
                    }
                }
                () = tokio::time::sleep_until(recheck_at) => match self.recheck(None).await {
                    Ok(Some(role)) => if !send(sink, self.out(), &role).await {
                        return Ending::Gone;
                    },
                    Ok(None) => {}
                    Err(ending) => return ending,
                },
                () = tokio::time::sleep_until(deadline) => return Ending::Idle,
                () = &mut closing => return Ending::Restarting,
            }
        }
    }

    /// How long a write to this connection may take.
    fn out(&self) -> Duration {
        self.live.limits.write_timeout
    }

    /// When to check the standing next: when the session or link runs out, or after
    /// `RECHECK_EVERY`, whichever comes first.
    fn recheck_at(&self) -> Instant {
        let regular = self.checked_at + access::RECHECK_EVERY;
        match self.standing.until {
            Some(until) => {
                let left = u64::try_from(until - now_millis()).unwrap_or(0);
                regular.min(Instant::now() + Duration::from_millis(left))
            }
            None => regular,
        }
    }

    /// Works out the standing again. `Ok(Some)`: what to tell the browser about its changed
    /// role; `Err`: the connection must end. A failed check changes nothing (the next try is
    /// in `RECHECK_EVERY`).
    async fn recheck(&mut self, cause: Option<AccessChange>) -> Result<Option<ServerMsg>, Ending> {
        self.checked_at = Instant::now();
        let accounts = &self.live.accounts;
        match access::resolve(accounts, self.map, &self.credential).await {
            Ok(standing) => {
                let changed = standing.can_edit != self.standing.can_edit;
                // The name a connection shows stays the one it joined with.
                self.standing = Standing {
                    account: self.standing.account.clone(),
                    ..standing
                };
                if !changed {
                    return Ok(None);
                }
                let can_edit = self.standing.can_edit;
                self.live.rooms.set_can_edit(self.map, self.id, can_edit);
                Ok(Some(ServerMsg::Role { can_edit }))
            }
            Err(Refusal::Failed(err)) => {
                tracing::warn!(%err, "cannot check a live connection's access; will try again");
                Ok(None)
            }
            Err(refusal) => {
                let now = now_millis();
                let why = access::why_ended(accounts, &self.standing, &refusal, cause, now).await;
                Err(Ending::Ended(why))
            }
        }
    }

    /// Acts on every access change announced so far that may concern this connection; returns
    /// what to tell the browser of a changed role.
    async fn heed_access_changes(&mut self) -> Result<Option<ServerMsg>, Ending> {
        let mut cause = None;
        let mut concerned = false;
        loop {
            match self.watch.try_recv() {
                Ok(change) if access::concerns(change, self.map, &self.standing) => {
                    concerned = true;
                    cause = Some(change);
                }
                Ok(_) => {}
                Err(TryRecvError::Lagged(_)) => concerned = true,
                Err(TryRecvError::Empty | TryRecvError::Closed) => break,
            }
        }
        if !concerned {
            return Ok(None);
        }
        self.recheck(cause).await
    }

    /// `ServerMsg::Applied` for this connection: comment edits withheld unless it may see them.
    fn applied(&self, log: Vec<app::domain::sync::Logged>) -> ServerMsg {
        if self.standing.shows.comments {
            return ServerMsg::Applied { log };
        }
        let log = frames::without_comments(&log).unwrap_or(log);
        ServerMsg::Applied { log }
    }

    /// The frame that tells this connection about `event`, if it needs telling; `Err` says why
    /// the connection must end instead.
    async fn frame(
        &self,
        event: Result<RoomEvent, RecvError>,
        last_sent: &mut Rev,
    ) -> Result<Option<Message>, Ending> {
        let msg = match event {
            Ok(RoomEvent::Applied { log, json }) => {
                let Some(last) = log.last().map(|l| l.rev) else {
                    return Ok(None);
                };
                let fresh_from = log.iter().position(|l| l.rev > *last_sent);
                let Some(fresh_from) = fresh_from else {
                    return Ok(None);
                };
                *last_sent = last;
                let hidden = !self.standing.shows.comments
                    && log.iter().any(|l| l.op.edit.is_about_comments());
                if fresh_from == 0 && !hidden {
                    // The usual case: all of it is new, and already encoded for everyone.
                    return Ok(Some(Message::Text(json)));
                }
                self.applied(log[fresh_from..].to_vec())
            }
            Ok(RoomEvent::Peers(json)) => return Ok(Some(Message::Text(json))),
            Ok(RoomEvent::Refetch) => ServerMsg::Refetch,
            // This connection fell behind the room's events: resend from where it was.
            Err(RecvError::Lagged(_)) => match self.live.rooms.catch_up(self.map, *last_sent).await
            {
                Ok(CatchUp::Log(log)) => {
                    *last_sent = log.last().map_or(*last_sent, |l| l.rev);
                    self.applied(log)
                }
                Ok(CatchUp::Map(..)) | Err(_) => return Err(Ending::FellBehind),
            },
            Err(RecvError::Closed) => return Err(Ending::MapClosed),
        };
        Ok(frames::frame(&msg))
    }

    /// Acts on one message and returns what to send back to this connection.
    async fn handle(&mut self, msg: ClientMsg) -> Result<Vec<ServerMsg>, Ending> {
        let error = |message: &str| {
            Ok(vec![ServerMsg::Error {
                message: message.to_owned(),
            }])
        };
        match msg {
            ClientMsg::Ping => {
                self.budget.take(1).await;
                Ok(vec![ServerMsg::Pong])
            }
            ClientMsg::Hello { .. } => {
                self.budget.take(1).await;
                error("already said hello")
            }
            ClientMsg::Presence { focus } => {
                self.budget.take(1).await;
                if self.standing.can_edit {
                    self.live.rooms.set_focus(self.map, self.id, focus);
                }
                Ok(Vec::new())
            }
            ClientMsg::Submit { ops } => {
                self.budget.take(ops.len()).await;
                // The wait may have been long: make sure nothing taken away meanwhile is used.
                let role = self.heed_access_changes().await?;
                let mut reply: Vec<ServerMsg> = role.into_iter().collect();
                if !self.standing.can_edit {
                    reply.push(ServerMsg::Error {
                        message: "you can view this map but not change it".into(),
                    });
                } else if ops.len() > MAX_OPS_PER_MESSAGE {
                    reply.push(ServerMsg::Error {
                        message: format!("at most {MAX_OPS_PER_MESSAGE} operations per message"),
                    });
                } else {
                    reply.extend(self.submit(ops).await?);
                }
                Ok(reply)
            }
        }
    }

    async fn submit(&mut self, ops: Vec<app::domain::edit::Op>) -> Result<Vec<ServerMsg>, Ending> {
        let now = now_millis();
        // Comments are signed by the session, whatever the browser wrote in them.
        let ops: Vec<app::domain::edit::Op> = ops
            .into_iter()
            .map(|op| app::domain::edit::Op {
                id: op.id,
                edit: op.edit.signed(&self.author, now),
            })
            .collect();
        let error = |message: &str| {
            Ok(vec![ServerMsg::Error {
                message: message.to_owned(),
            }])
        };
        if !self.not_saved.is_empty() {
            if ops.iter().any(|op| self.not_saved.contains(&op.id)) {
                // The browser is sending again what was not saved: back to normal.
                self.not_saved.clear();
            } else {
                // Sent before the browser heard; it may build on what was not saved.
                return self.not_saved(ops.iter().map(|op| op.id).collect());
            }
        }
        let ids: Vec<OpId> = ops.iter().map(|op| op.id).collect();
        let account = self.standing.account.as_ref().map(|a| a.user);
        let submitted = self
            .live
            .rooms
            .submit_as(self.map, ops, &self.author, account);
        match submitted.await {
            Ok(submitted) => {
                let rejected = submitted.rejected.into_iter().map(|r| ServerMsg::Rejected {
                    op: r.op,
                    error: r.error,
                });
                let known = submitted.known.into_iter().map(|k| ServerMsg::Known {
                    op: k.op,
                    rev: k.rev,
                });
                Ok(rejected.chain(known).collect())
            }
            Err(StoreError::NotFound) => Err(Ending::Ended(Ended::MapDeleted)),
            Err(StoreError::Conflict(message)) => error(&message),
            Err(StoreError::Internal(detail)) => {
                tracing::error!(%detail, "cannot save operations");
                self.not_saved(ids)
            }
        }
    }

    /// Tells the browser that `ops` were not saved, and refuses what it sends next until it
    /// sends one of them again.
    fn not_saved(&mut self, ops: Vec<OpId>) -> Result<Vec<ServerMsg>, Ending> {
        self.not_saved.extend(ops.iter().copied());
        if self.not_saved.len() > MAX_NOT_SAVED {
            return Err(Ending::NotListening);
        }
        Ok(vec![ServerMsg::NotSaved {
            ops,
            retry_ms: NOT_SAVED_RETRY_MS,
        }])
    }
}
