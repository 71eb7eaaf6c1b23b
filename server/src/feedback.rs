//! Customer feedback on the server: taking responses in (`ingest` for the API and CSV import,
//! `answer` for the public form) and the summaries behind `app::api::ctx::Feedback`.
//!
//! Responses are checked whole before anything is stored: a batch with one bad response stores
//! nothing and reports every bad one. A stored batch is committed (`synchronous=FULL`) before it
//! is acknowledged.

pub mod api;
pub mod form;
pub mod import;
mod surveys;
pub mod tallying;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use app::api::ctx::{BackendFuture, Feedback};
use app::api::error::AppError;
use app::api::feedback::{
    ApiKey, Filter, Forgotten, InboxPage, MapFeedback, NewApiKey, PublicForm, Quote, ThemeCount,
    TouchpointFeedback,
};
use app::domain::access::Role;
use app::domain::account::FormToken;
use app::domain::definitions::ChannelNames;
use app::domain::feedback::{self, Period, ResponseError, ResponseInput, Source, Summary, Tally};
use app::domain::ids::{ApiKeyId, CardId, MapId, StageId, UserId};
use app::domain::import::FileResponse;
use app::domain::journey::Funnel;
use app::domain::map::JourneyMap;
use app::domain::text::Name;
use app::domain::time::Millis;
use serde::Serialize;
use uuid::Uuid;

use crate::analysis;
use crate::backend::app_error;
use crate::clock::now_millis;
use crate::db::feedback::{self as store, Incoming, StoredComment};
use crate::db::{Db, StoreError};
use crate::rooms::Rooms;
use crate::secrets::{hash_token, new_token};
use crate::throttle::Throttle;

/// How every API key's secret begins; the rest is 64 hex digits.
pub const KEY_PREFIX: &str = "wmk_";
/// Most responses taken in one API request or CSV file.
pub const MAX_BATCH: usize = 100_000;
/// Comments read for a touchpoint's themes, keywords and quotes: the newest this many.
const COMMENTS_ANALYSED: usize = 1_000;
/// Comments of the whole map read as the background keywords are contrasted with.
const BACKGROUND_COMMENTS: usize = 3_000;
const LATEST_SHOWN: usize = 10;
const QUOTES_SHOWN: usize = 3;
const KEYWORDS_SUGGESTED: usize = 8;

/// One refused response of a batch: its position (0-based) and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Rejection {
    pub index: usize,
    pub field: String,
    pub message: String,
}

impl Rejection {
    pub(crate) fn at(index: usize, err: ResponseError) -> Rejection {
        Rejection {
            index,
            field: err.field,
            message: err.message,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{} responses were refused; nothing was stored", .0.len())]
    Rejected(Vec<Rejection>),
    #[error("at most {MAX_BATCH} responses at once")]
    TooMany,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How a batch names touchpoints: by card id (the API), or also by a card's text (CSV files
/// written by people).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    Id,
    IdOrText,
}

/// Checks responses against a map as they are read: touchpoints by hash (a batch may hold
/// 100,000 references and a map thousands of cards), times against one `now`. Shared by the
/// threads that read a large file.
pub struct Checker {
    ids: HashSet<CardId>,
    /// Cards by the first line of their text, lowercased; `None` for text two cards share.
    by_text: HashMap<String, Option<CardId>>,
    now: Millis,
    source: Source,
    channels: ChannelNames,
}

impl Checker {
    fn new(
        map: &JourneyMap,
        naming: Naming,
        source: Source,
        now: Millis,
        channels: ChannelNames,
    ) -> Checker {
        let ids = map.cards().iter().map(|card| card.id).collect();
        let mut by_text: HashMap<String, Option<CardId>> = HashMap::new();
        if naming == Naming::IdOrText {
            for card in map.cards() {
                let title = first_line(card.text.as_str()).to_lowercase();
                // Two cards with the same text: ambiguous, so neither is matched by text.
                by_text
                    .entry(title)
                    .and_modify(|found| *found = None)
                    .or_insert(Some(card.id));
            }
        }
        Checker {
            ids,
            by_text,
            now,
            source,
            channels,
        }
    }

    fn resolve(&self, reference: &str) -> Option<CardId> {
        if let Ok(id) = reference.parse::<CardId>() {
            return self.ids.contains(&id).then_some(id);
        }
        self.by_text
            .get(&reference.to_lowercase())
            .copied()
            .flatten()
    }

    /// The response as the store takes it, or why it is refused.
    pub fn check(
        &self,
        item: Result<ResponseInput, ResponseError>,
    ) -> Result<FileResponse, ResponseError> {
        let mut input = item?;
        self.channels.rename(&mut input.channel);
        let response = input.check(|reference| self.resolve(reference), self.now)?;
        Ok(FileResponse {
            response,
            source: self.source,
            followed_up: false,
        })
    }
}

pub fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("").trim()
}

#[derive(Clone)]
pub struct ServerFeedback {
    pub db: Db,
    pub rooms: Rooms,
    /// Answers through the public form, and guesses at API keys.
    pub submissions: Throttle,
    /// What public forms show, so that they do not read the map.
    surveys: Arc<surveys::Surveys>,
}

impl ServerFeedback {
    pub fn new(db: Db, rooms: Rooms) -> ServerFeedback {
        ServerFeedback {
            db,
            rooms,
            submissions: Throttle::default(),
            surveys: Arc::default(),
        }
    }

    /// The map as committed, shared with its room (no copy).
    async fn map(&self, id: MapId) -> Result<Arc<JourneyMap>, StoreError> {
        Ok(self.rooms.committed(id).await?.map)
    }

    /// What checks responses for `map` from `source`. Checking is CPU work: callers run it on
    /// a blocking thread, never on the async executor.
    pub async fn checker(
        &self,
        map: MapId,
        source: Source,
        naming: Naming,
    ) -> Result<Checker, StoreError> {
        let journey = self.map(map).await?;
        let channels = self.db.channel_names().await?;
        Ok(Checker::new(
            &journey,
            naming,
            source,
            now_millis(),
            channels,
        ))
    }

    /// Checks `items` against `map` and stores them all, or none. An item that could not
    /// even be read (malformed JSON, a score that is not a number) arrives as its error, so
    /// that it is reported by position together with the others.
    pub async fn ingest(
        &self,
        map: MapId,
        items: Vec<Result<ResponseInput, ResponseError>>,
        source: Source,
        naming: Naming,
    ) -> Result<usize, IngestError> {
        if items.len() > MAX_BATCH {
            return Err(IngestError::TooMany);
        }
        let checker = self.checker(map, source, naming).await?;
        let checked = tokio::task::spawn_blocking(move || {
            let mut rejections = Vec::new();
            // Straight into the form the store takes: a large request's responses are tens of
            // megabytes, and each copy of them costs fresh memory that the kernel must zero.
            let mut accepted = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                match checker.check(item) {
                    Ok(response) => accepted.push(response),
                    Err(err) => rejections.push(Rejection::at(index, err)),
                }
            }
            if rejections.is_empty() {
                Ok(accepted)
            } else {
                Err(IngestError::Rejected(rejections))
            }
        })
        .await
        .map_err(StoreError::internal)??;
        let stored = self.store(map, checked).await?;
        crate::telemetry::responses_stored(source, stored);
        Ok(stored)
    }

    /// Stores checked responses of `map`, all or none (see `store_sliced`), and tells the
    /// map's room.
    pub async fn store(
        &self,
        map: MapId,
        responses: Vec<FileResponse>,
    ) -> Result<usize, StoreError> {
        let stored = self.store_sliced(map, responses, now_millis(), None).await;
        self.rooms.figures_changed(map);
        stored
    }

    /// Stores `responses` on the writer's bulk lane in slices (`store::cut`, each bounded by
    /// the work it does), so that live edits never wait behind more than one. All or nothing
    /// from the caller's view: a request of several slices is a batch, and if any slice fails,
    /// the committed ones are taken out again (responses and tallies), so nothing stays and a
    /// retry stores it once (a server that stops part-way undoes the batch when it starts
    /// again).
    ///
    /// The slices are cut (and their comments scored, and their tallies summed) on a blocking
    /// thread while the writer stores the ones before: a large file is then stored in about the
    /// time the writer takes for it, not that plus the time to prepare it.
    ///
    /// With `new_map`, the map is created in the batch's first job and deleted if the batch
    /// is undone: a map file's import leaves either the whole map or nothing.
    async fn store_sliced(
        &self,
        map: MapId,
        mut responses: Vec<FileResponse>,
        now: i64,
        new_map: Option<JourneyMap>,
    ) -> Result<usize, StoreError> {
        let writer = self.db.writer();
        let total = responses.len();
        let (cut, mut slices) = tokio::sync::mpsc::channel(SLICES_AHEAD);
        let cutting = tokio::task::spawn_blocking(move || {
            // Date-sorted files and feeds are the common case; sorting them anyway would cost
            // a scratch copy of all of the responses.
            if !responses.is_sorted_by_key(|r| r.response.at) {
                responses.sort_by_key(|r| r.response.at);
            }
            // Stops once nobody takes the slices (the batch failed).
            store::cut(responses.into_iter().map(scored), |slice| {
                cut.blocking_send(slice).is_ok()
            });
        });
        // A cutter that panicked closes the channel early: its outcome decides, not the
        // channel's end.
        let cut_whole = |outcome: Result<(), tokio::task::JoinError>| {
            outcome.map_err(|_| StoreError::internal("preparing the responses failed"))
        };
        let first = slices.recv().await;
        let second = slices.recv().await;
        if second.is_none() && new_map.is_none() {
            cut_whole(cutting.await)?;
            let slice = first.unwrap_or_default();
            tallying::queue_slice(&self.db, map, slice, move |conn, slice| {
                store::store_responses_only(conn, map, slice, now).map(drop)
            })
            .await?
            .committed()
            .await?;
            tallying::stored(&self.db).await?;
            return Ok(total);
        }
        let batch = writer
            .enqueue_bulk(move |conn| match &new_map {
                Some(journey) => store::begin_import(conn, journey, now),
                None => store::begin_batch(conn, map, now, false),
            })
            .await?
            .committed()
            .await?;
        let mut pending = Vec::new();
        let mut failed = None;
        // The two slices already taken, then the others as they are cut.
        let mut taken = first.into_iter().chain(second);
        loop {
            let slice = match taken.next() {
                Some(slice) => slice,
                None => match slices.recv().await {
                    Some(slice) => slice,
                    None => break,
                },
            };
            // Queued without waiting for the one before, so the bulk lane stays busy; the
            // lane's bounded depth is the back-pressure.
            let stored = tallying::queue_slice(&self.db, map, slice, move |conn, slice| {
                store::insert_slice(conn, map, batch, slice, now).map(drop)
            });
            match stored.await {
                Ok(p) => pending.push(p),
                Err(err) => {
                    failed = Some(err);
                    break;
                }
            }
        }
        drop(slices);
        if let Err(err) = cut_whole(cutting.await) {
            failed.get_or_insert(err);
        }
        for p in pending {
            if let Err(err) = p.committed().await {
                failed.get_or_insert(err);
            }
        }
        if let Some(err) = failed {
            self.undo_batch(map, batch).await;
            return Err(err);
        }
        writer
            .write(move |conn| store::finish_batch(conn, batch))
            .await?;
        tallying::stored(&self.db).await?;
        Ok(total)
    }

    /// Takes a failed batch's committed slices out again, one bounded job each. Should that
    /// fail too (the disk, say), the batch stays marked unfinished and is undone at the next
    /// start.
    async fn undo_batch(&self, map: MapId, batch: i64) {
        // Each slice's share is taken out of whole tallies: the map's waiting ones are written
        // first, the last of them in the same job.
        let undone = async {
            while tallying::write_waiting_then(&self.db, map, move |conn| {
                store::undo_slice(conn, batch)
            })
            .await?
            {}
            Ok::<_, StoreError>(())
        };
        if let Err(err) = undone.await {
            tracing::error!(%err, batch, "undoing a failed batch of responses failed; it is undone at the next start");
        }
    }

    /// Makes `journey` a new map owned by `owner` with `responses` (read from a map file and
    /// already checked against it), all or nothing: the map appears in its owner's list only
    /// once every response is stored, and a failure leaves no map.
    pub async fn import_map(
        &self,
        journey: JourneyMap,
        owner: UserId,
        mut responses: Vec<FileResponse>,
    ) -> Result<usize, StoreError> {
        let map = journey.id;
        let now = now_millis();
        // A file's answers are stored under this Waymark's channel names, as any others are.
        let channels = self.db.channel_names().await?;
        for file in &mut responses {
            if let Some(name) = channels.canonical(&file.response.channel) {
                file.response.channel = name.to_owned();
            }
        }
        let stored = self
            .store_sliced(map, responses, now, Some(journey))
            .await?;
        // The owner last: the map appears whole, or not at all.
        self.db
            .writer()
            .write(move |conn| crate::db::accounts::set_member(conn, map, owner, Some(Role::Owner)))
            .await?;
        Ok(stored)
    }

    /// Every response of `map`, newest first, as a map file carries them, with each comment's
    /// sentiment.
    pub async fn all_responses(
        &self,
        map: MapId,
    ) -> Result<Vec<(FileResponse, Option<f64>)>, StoreError> {
        tallying::index_times(&self.db).await?;
        let items = self
            .db
            .read(move |conn| store::inbox(conn, map, false, None, usize::MAX))
            .await?;
        Ok(items
            .into_iter()
            .map(|item| {
                let file = FileResponse {
                    response: item.response,
                    source: item.source,
                    followed_up: item.followed_up,
                };
                (file, item.sentiment)
            })
            .collect())
    }

    /// The touchpoint behind a form token, and what its form shows; `NotFound` when the token
    /// is unknown or the touchpoint no longer collects feedback. Read from the survey cache
    /// while the map has not changed since (see `surveys`).
    pub async fn open_form(
        &self,
        token: &FormToken,
    ) -> Result<(MapId, CardId, PublicForm), AppError> {
        let token = token.as_str().to_owned();
        let (map, card, rev) = self
            .db
            .read(move |conn| store::form(conn, &token))
            .await
            .map_err(app_error)?;
        let form = match self.surveys.get(map, card, rev) {
            Some(form) => form,
            None => {
                let committed = self.rooms.committed(map).await.map_err(app_error)?;
                let form = committed.map.card(card).and_then(|found| {
                    Some(PublicForm {
                        touchpoint: first_line(found.text.as_str()).to_owned(),
                        survey: found.survey.clone()?,
                    })
                });
                self.surveys.put(map, card, committed.rev, form.clone());
                form
            }
        };
        Ok((map, card, form.ok_or(AppError::NotFound)?))
    }

    /// Stores one customer's answer to the form of `card` (just opened, so the card is known
    /// to collect feedback): a live write, since they are waiting.
    pub async fn answer(
        &self,
        map: MapId,
        card: CardId,
        mut input: ResponseInput,
    ) -> Result<(), IngestError> {
        // Most answers carry no channel: only those that do read the library.
        if input.channel.is_some() {
            self.db.channel_names().await?.rename(&mut input.channel);
        }
        let now = now_millis();
        let resolve = |reference: &str| (reference == card.to_string()).then_some(card);
        let response = input
            .check(resolve, now)
            .map_err(|err| IngestError::Rejected(vec![Rejection::at(0, err)]))?;
        let one = scored(FileResponse {
            response,
            source: Source::Form,
            followed_up: false,
        });
        let one = store::Slice::new(vec![one]);
        self.db
            .writer()
            .write(move |conn| store::insert_responses(conn, map, &one, now))
            .await?;
        tallying::schedule(&self.db);
        crate::telemetry::responses_stored(Source::Form, 1);
        self.rooms.figures_changed(map);
        Ok(())
    }

    async fn summaries(&self, map: MapId, filter: Filter) -> Result<MapFeedback, StoreError> {
        let journey = self.map(map).await?;
        let reading = filter.clone();
        let counts = crate::journey::read_counts(&self.db, map, filter).await?;
        tallying::write_waiting(&self.db, map).await?;
        let (tallies, (channels, segments)) = self
            .db
            .read(move |conn| {
                Ok((
                    store::tallies(conn, map, &reading)?,
                    store::labels(conn, map)?,
                ))
            })
            .await?;
        // Maps without events carry no funnel (nor its bytes).
        let funnel = (!counts.is_empty()).then(|| Funnel::new(&journey, &counts));
        let minimum = u64::from(journey.feedback.minimum);
        // Responses to cards since removed stay stored but are not shown.
        let tallies: Vec<(CardId, Tally)> = tallies
            .into_iter()
            .filter(|(card, _)| journey.card(*card).is_some())
            .collect();
        let mut by_stage: HashMap<StageId, Tally> = HashMap::new();
        for (card, tally) in &tallies {
            if let Some(card) = journey.card(*card) {
                by_stage.entry(card.stage).or_default().add(tally);
            }
        }
        let total: Tally = tallies.iter().map(|(_, t)| t.clone()).sum();
        Ok(MapFeedback {
            minimum,
            map: Summary::new(&total, minimum),
            stages: journey
                .stages()
                .iter()
                .filter_map(|s| {
                    by_stage
                        .get(&s.id)
                        .map(|t| (s.id, Summary::new(t, minimum)))
                })
                .collect(),
            pain_points: feedback::pain_points(&tallies, minimum),
            touchpoints: tallies
                .iter()
                .map(|(card, tally)| (*card, Summary::new(tally, minimum)))
                .collect(),
            channels,
            segments,
            funnel,
        })
    }

    async fn detail(
        &self,
        map: MapId,
        card: CardId,
        filter: Filter,
        period: Period,
    ) -> Result<TouchpointFeedback, StoreError> {
        let journey = self.map(map).await?;
        if journey.card(card).is_none() {
            return Err(StoreError::NotFound);
        }
        let settings = journey.feedback.clone();
        tallying::write_waiting(&self.db, map).await?;
        tallying::index_times(&self.db).await?;
        let (days, comments, background) = self
            .db
            .read(move |conn| {
                Ok((
                    store::daily(conn, map, card, &filter)?,
                    store::comments(conn, map, Some(card), &filter, COMMENTS_ANALYSED)?,
                    store::comments(conn, map, None, &filter, BACKGROUND_COMMENTS)?,
                ))
            })
            .await?;
        let minimum = u64::from(settings.minimum);
        let comment_minimum = u64::from(settings.comment_minimum);
        let total: Tally = days.iter().map(|(_, t)| t.clone()).sum();
        let summary = Summary::new(&total, minimum);
        let trend = feedback::trend(&days, period, minimum);
        let comments_shown = total.comments >= comment_minimum;
        let analysed = if comments_shown {
            tokio::task::spawn_blocking(move || analyse(&settings.themes, &comments, &background))
                .await
                .map_err(StoreError::internal)?
        } else {
            Analysis::default()
        };
        Ok(TouchpointFeedback {
            summary,
            trend,
            comments_shown,
            comment_minimum,
            themes: analysed.themes,
            suggested: analysed.suggested,
            quotes: analysed.quotes,
            latest: analysed.latest,
        })
    }
}

/// Slices of a bulk request cut ahead of the one the writer is storing.
const SLICES_AHEAD: usize = 4;

/// A checked response (with its source and whether it was followed up, as a map file carries
/// them) ready to store: with its comment's sentiment.
fn scored(r: FileResponse) -> Incoming {
    let sentiment = r.response.comment.as_deref().map(analysis::sentiment);
    Incoming {
        negative: sentiment.is_some_and(analysis::is_negative),
        sentiment,
        response: r.response,
        source: r.source,
        followed_up: r.followed_up,
    }
}

#[derive(Default)]
struct Analysis {
    themes: Vec<ThemeCount>,
    suggested: Vec<(String, usize)>,
    quotes: Vec<Quote>,
    latest: Vec<Quote>,
}

/// Themes, keywords and quotes of a touchpoint's comments (newest first).
fn analyse(
    themes: &[feedback::Theme],
    comments: &[StoredComment],
    background: &[StoredComment],
) -> Analysis {
    let texts: Vec<&str> = comments.iter().map(|c| c.text.as_str()).collect();
    let background: Vec<&str> = background.iter().map(|c| c.text.as_str()).collect();
    let quote = |c: &StoredComment| Quote {
        at: c.at,
        text: c.text.clone(),
        sentiment: c.sentiment,
    };
    Analysis {
        themes: themes
            .iter()
            .map(|theme| {
                let keywords: Vec<String> = theme.keywords.iter().map(|k| k.to_string()).collect();
                ThemeCount {
                    name: theme.name.to_string(),
                    comments: texts
                        .iter()
                        .filter(|t| analysis::mentions(t, &keywords))
                        .count() as u64,
                }
            })
            .collect(),
        suggested: analysis::suggest_keywords(&texts, &background, KEYWORDS_SUGGESTED),
        quotes: analysis::representative(&texts, QUOTES_SHOWN)
            .into_iter()
            .filter_map(|i| comments.get(i).map(quote))
            .collect(),
        latest: comments.iter().take(LATEST_SHOWN).map(quote).collect(),
    }
}

impl Feedback for ServerFeedback {
    fn map_feedback(&self, map: MapId, filter: Filter) -> BackendFuture<'_, MapFeedback> {
        Box::pin(async move { self.summaries(map, filter).await.map_err(app_error) })
    }

    fn touchpoint(
        &self,
        map: MapId,
        card: CardId,
        filter: Filter,
        period: Period,
    ) -> BackendFuture<'_, TouchpointFeedback> {
        Box::pin(async move {
            self.detail(map, card, filter, period)
                .await
                .map_err(app_error)
        })
    }

    fn inbox(
        &self,
        map: MapId,
        unhappy_only: bool,
        before: Option<i64>,
        limit: usize,
    ) -> BackendFuture<'_, InboxPage> {
        Box::pin(async move {
            tallying::index_times(&self.db).await.map_err(app_error)?;
            // One more than a page tells whether there is a next one.
            let mut items = self
                .db
                .read(move |conn| store::inbox(conn, map, unhappy_only, before, limit + 1))
                .await
                .map_err(app_error)?;
            let next = (items.len() > limit).then(|| {
                items.truncate(limit);
                items.last().map(|i| i.id)
            });
            Ok(InboxPage {
                items,
                next: next.flatten(),
            })
        })
    }

    fn set_followed_up(&self, map: MapId, response: i64, done: bool) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .writer()
                .write(move |conn| store::set_followed_up(conn, map, response, done))
                .await
                .map_err(app_error)
        })
    }

    fn form_token(&self, map: MapId, card: CardId, renew: bool) -> BackendFuture<'_, String> {
        Box::pin(async move {
            let journey = self.map(map).await.map_err(app_error)?;
            if journey.card(card).is_none() {
                return Err(AppError::NotFound);
            }
            // 128 bits: unguessable, and short enough for a small QR code.
            let fresh: String = new_token().map_err(app_error)?.chars().take(32).collect();
            let now = now_millis();
            self.db
                .writer()
                .write(move |conn| store::form_token(conn, map, card, renew, &fresh, now))
                .await
                .map_err(app_error)
        })
    }

    fn public_form(&self, token: FormToken) -> BackendFuture<'_, PublicForm> {
        Box::pin(async move { Ok(self.open_form(&token).await?.2) })
    }

    fn api_keys(&self, map: MapId) -> BackendFuture<'_, Vec<ApiKey>> {
        Box::pin(async move {
            self.db
                .read(move |conn| store::api_keys(conn, map))
                .await
                .map_err(app_error)
        })
    }

    fn create_api_key(&self, map: MapId, by: UserId, label: Name) -> BackendFuture<'_, NewApiKey> {
        Box::pin(async move {
            let secret = format!("{KEY_PREFIX}{}", new_token().map_err(app_error)?);
            let key = ApiKey {
                id: ApiKeyId::from_uuid(Uuid::new_v4()),
                label: label.to_string(),
                created_at: now_millis(),
                last_used_at: None,
            };
            let (stored, hash) = (key.clone(), hash_token(&secret));
            self.db
                .writer()
                .write(move |conn| store::insert_api_key(conn, map, &stored, &hash, by))
                .await
                .map_err(app_error)?;
            Ok(NewApiKey { key, secret })
        })
    }

    fn revoke_api_key(&self, map: MapId, key: ApiKeyId) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            let now = now_millis();
            self.db
                .writer()
                .write(move |conn| store::revoke_api_key(conn, map, key, now))
                .await
                .map_err(app_error)
        })
    }

    fn event_retention(&self, map: MapId) -> BackendFuture<'_, Option<u32>> {
        Box::pin(async move {
            self.db
                .read(move |conn| crate::db::journey::retention(conn, map))
                .await
                .map_err(app_error)
        })
    }

    fn set_event_retention(&self, map: MapId, days: Option<u32>) -> BackendFuture<'_, u64> {
        Box::pin(async move {
            let journey = crate::journey::ServerJourney::new(self.db.clone(), self.rooms.clone());
            journey.set_retention(map, days).await.map_err(app_error)
        })
    }

    fn forget_customer(&self, map: MapId, reference: String) -> BackendFuture<'_, Forgotten> {
        Box::pin(async move {
            let journey = crate::journey::ServerJourney::new(self.db.clone(), self.rooms.clone());
            journey.forget(map, &reference).await.map_err(app_error)
        })
    }

    fn journey(
        &self,
        map: MapId,
        filter: Filter,
    ) -> BackendFuture<'_, app::api::journey::JourneyFigures> {
        Box::pin(async move {
            let read = async {
                let journey = self.map(map).await?;
                let counts = crate::journey::read_counts(&self.db, map, filter).await?;
                Ok::<_, StoreError>(app::api::journey::JourneyFigures {
                    funnel: Funnel::new(&journey, &counts),
                    touchpoints: app::domain::journey::touchpoints(&journey, &counts),
                })
            };
            read.await.map_err(app_error)
        })
    }
}
