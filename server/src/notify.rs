//! Notifications by email: mentions in comments (`@name`), replies in threads a person started
//! or answered, unhappy answers on maps a person owns, and maps due for review. Each person
//! switches each kind off on their account page, or from any notification mail by its signed
//! unsubscribe link (`unsubscribe`).
//!
//! The notifier reads what is already committed, so nothing on an edit's or an answer's path
//! waits for it: every few seconds it reads the comments added to each map's log since its
//! cursor there, the unhappy answers since its cursor in the answers, and the maps that fell
//! due for review, and turns them into lines waiting in `notifications`, moving its cursors in
//! the same transaction (so a restart neither loses nor repeats a line). A person's lines go
//! as one digest once the oldest has waited `--notification-delay` (five minutes unless set):
//! a busy thread or a flood of answers makes one mail, not hundreds, and several unhappy
//! answers on one touchpoint are one line, counted. The digest is written to the mail outbox
//! in the transaction that takes its lines, so it is sent once whatever stops when.
//!
//! Mail goes only to verified addresses, and a line only to someone who may still see its map
//! when the digest is made. A touchpoint is owned by its stage's owner, if the stage has one
//! (`db::notify::stage_owners`), else by its map's owners.

pub mod mentions;
pub mod unsubscribe;

use std::collections::{BTreeMap, HashSet};
use std::time::Duration;

use app::api::notifications::Kind;
use app::domain::access::Role;
use app::domain::ids::{CardId, MapId, StageId, UserId};
use app::domain::map::{JourneyMap, Target};

use crate::clock::now_millis;
use crate::db::notify::{self as store, Line, NewComment, Reader};
use crate::db::{Db, StoreError};
use crate::mail::letters::{self, DigestPart};
use crate::mail::Mailer;
use crate::rooms::Rooms;

/// The default wait between a person's first waiting notification and their digest.
pub const DEFAULT_DELAY: Duration = Duration::from_secs(5 * 60);
/// Maps whose new comments one pass reads, and comments per map.
const MAPS_PER_PASS: u32 = 50;
const COMMENTS_PER_MAP: u32 = 500;
/// Unhappy answers one pass reads.
const ANSWERS_PER_PASS: u32 = 5_000;
/// Digests one pass makes.
const DIGESTS_PER_PASS: u32 = 100;
/// Lines a digest shows; the rest are counted.
const LINES_PER_DIGEST: usize = 50;
/// How much of a comment or an answer a line quotes.
const QUOTE_CHARS: usize = 200;

/// Reads what happened and mails it. Cheap to clone.
#[derive(Clone)]
pub struct Notifier {
    db: Db,
    rooms: Rooms,
    mailer: Mailer,
    delay: Duration,
}

impl Notifier {
    /// Notifies through `mailer`, reading its database, after its settings' digest delay.
    pub fn new(rooms: Rooms, mailer: Mailer) -> Notifier {
        Notifier {
            db: mailer.db().clone(),
            delay: mailer.settings().digest_delay(),
            rooms,
            mailer,
        }
    }

    /// Runs until the runtime stops: a pass every few seconds (at most the delay).
    pub fn start(self) -> tokio::task::JoinHandle<()> {
        let every = (self.delay / 2).clamp(Duration::from_millis(500), Duration::from_secs(15));
        tokio::spawn(async move {
            loop {
                if let Err(err) = self.pass(now_millis()).await {
                    tracing::warn!(%err, "notifications wait: cannot read or write them now");
                }
                tokio::time::sleep(every).await;
            }
        })
    }

    /// Reads what happened up to now and sends the digests that are due at `now`.
    pub async fn pass(&self, now: i64) -> Result<(), StoreError> {
        self.read_comments(now).await?;
        self.read_answers(now).await?;
        self.read_reviews(now).await?;
        self.send_digests(now).await
    }

    async fn read_comments(&self, now: i64) -> Result<(), StoreError> {
        let news = self
            .db
            .read(|conn| store::maps_with_news(conn, MAPS_PER_PASS))
            .await?;
        // Maps edited without a new comment only move their cursor: all in one write.
        let mut quiet = Vec::new();
        for news in news {
            let (map, range) = (news.map, (news.read, news.rev));
            // Up to the revision seen above: what came since is read next time, once.
            let comments = self
                .db
                .read(move |conn| store::comments_after(conn, map, range, COMMENTS_PER_MAP))
                .await?;
            if comments.is_empty() {
                quiet.push((map, news.rev));
                continue;
            }
            // Read up to the last comment if there may be more, else to the log's end.
            let read = match comments.last() {
                Some(last) if comments.len() == COMMENTS_PER_MAP as usize => last.rev,
                _ => news.rev,
            };
            let lines = self.comment_lines(map, comments).await?;
            self.db
                .writer()
                .write(move |conn| {
                    for (line, thread_author) in &lines {
                        if let Some(line) = line {
                            store::add_line(conn, &line.borrowed(), now)?;
                        }
                        if let Some((thread, user)) = thread_author {
                            store::add_thread_author(conn, map, thread, *user)?;
                        }
                    }
                    store::set_map_read(conn, map, read)
                })
                .await?;
        }
        if !quiet.is_empty() {
            self.db
                .writer()
                .write(move |conn| {
                    for (map, rev) in &quiet {
                        store::set_map_read(conn, *map, *rev)?;
                    }
                    Ok(())
                })
                .await?;
        }
        Ok(())
    }

    /// The lines `comments` on `map` make, and who wrote in which thread.
    async fn comment_lines(
        &self,
        map: MapId,
        comments: Vec<NewComment>,
    ) -> Result<Vec<(Option<OwnedLine>, Option<(String, UserId)>)>, StoreError> {
        let readers = self.db.read(move |conn| store::readers(conn, map)).await?;
        let journey = match self.rooms.committed(map).await {
            Ok(committed) => Some(committed.map),
            Err(StoreError::NotFound) => None,
            Err(err) => return Err(err),
        };
        let mut out = Vec::new();
        // Threads answered within this batch, so a reply to a thread started in it finds it.
        let mut written: Vec<(String, UserId)> = Vec::new();
        let people: Vec<mentions::Person<'_>> = readers
            .iter()
            .map(|r| mentions::Person {
                name: &r.name,
                email: &r.email,
            })
            .collect();
        for NewComment {
            comment, author, ..
        } in comments
        {
            let thread = comment.thread.unwrap_or(comment.id).to_string();
            let about = journey
                .as_deref()
                .map_or_else(String::new, |j| target_name(j, comment.target));
            let said = quote(comment.text.as_str());
            let who = comment.author.as_str().to_owned();
            let mut told: HashSet<UserId> = author.into_iter().collect();
            for index in mentions::mentioned(comment.text.as_str(), &people) {
                let reader = &readers[index];
                if told.insert(reader.id) {
                    let text = format!("{who} mentioned you{about}: “{said}”");
                    out.push((
                        Some(OwnedLine::new(
                            reader.id,
                            Kind::Mention,
                            map,
                            &comment.id.to_string(),
                            text,
                        )),
                        None,
                    ));
                }
            }
            if comment.thread.is_some() {
                let (map_, thread_) = (map, thread.clone());
                let mut earlier = self
                    .db
                    .read(move |conn| store::thread_authors(conn, map_, &thread_))
                    .await?;
                earlier.extend(
                    written
                        .iter()
                        .filter(|(t, _)| *t == thread)
                        .map(|(_, u)| *u),
                );
                for user in earlier {
                    if readers.iter().any(|r| r.id == user) && told.insert(user) {
                        let text = format!("{who} replied{about}: “{said}”");
                        out.push((
                            Some(OwnedLine::new(
                                user,
                                Kind::Reply,
                                map,
                                &comment.id.to_string(),
                                text,
                            )),
                            None,
                        ));
                    }
                }
            }
            if let Some(user) = author {
                written.push((thread.clone(), user));
                out.push((None, Some((thread, user))));
            }
        }
        Ok(out)
    }

    async fn read_answers(&self, now: i64) -> Result<(), StoreError> {
        let (answers, newest) = self
            .db
            .read(|conn| store::unhappy_answers(conn, ANSWERS_PER_PASS))
            .await?;
        // Read up to the last unhappy answer if there may be more, else to the newest answer
        // (as of the same read, so no unhappy answer before it was missed): the happy answers
        // in between are not read again.
        let read = match answers.last() {
            Some(last) if answers.len() == ANSWERS_PER_PASS as usize => last.id,
            _ => newest,
        };
        // Per map and touchpoint: how many, and the newest comment among them.
        let mut by_card: BTreeMap<(MapId, String), (u32, Option<String>)> = BTreeMap::new();
        for answer in answers {
            let entry = by_card.entry((answer.map, answer.card)).or_default();
            entry.0 += 1;
            if answer
                .comment
                .as_deref()
                .is_some_and(|c| !c.trim().is_empty())
            {
                entry.1 = answer.comment;
            }
        }
        // Each map's owners and stage owners, and the map as it is now (for its touchpoints'
        // names and stages).
        let mut maps: BTreeMap<MapId, Owners> = BTreeMap::new();
        for &(map, _) in by_card.keys() {
            if maps.contains_key(&map) {
                continue;
            }
            let readers = self.db.read(move |conn| store::readers(conn, map)).await?;
            let stages = self
                .db
                .read(move |conn| store::stage_owners(conn, map))
                .await?;
            let owners = readers.into_iter().filter(is_owner).map(|r| r.id).collect();
            let journey = self.rooms.committed(map).await.ok().map(|c| c.map);
            maps.insert(
                map,
                Owners {
                    map: owners,
                    stages,
                    journey,
                },
            );
        }
        let mut lines = Vec::new();
        for ((map, card), (count, comment)) in by_card {
            let Some(owners) = maps.get(&map) else {
                continue;
            };
            let found = owners
                .journey
                .as_ref()
                .and_then(|j| card.parse::<CardId>().ok().and_then(|id| j.card(id)));
            let touchpoint = found.map_or_else(
                || "a touchpoint".to_owned(),
                |c| format!("“{}”", quote(c.text.as_str())),
            );
            let answers = if count == 1 {
                "1 unhappy answer".to_owned()
            } else {
                format!("{count} unhappy answers")
            };
            let text = match comment {
                Some(comment) => format!(
                    "{answers} on {touchpoint}, the latest saying “{}”",
                    quote(&comment)
                ),
                None => format!("{answers} on {touchpoint}"),
            };
            for owner in owners.of(found.map(|c| c.stage)) {
                let mut line = OwnedLine::new(owner, Kind::Detractor, map, &card, text.clone());
                line.count = count;
                lines.push(line);
            }
        }
        self.db
            .writer()
            .write(move |conn| {
                for line in &lines {
                    store::add_line(conn, &line.borrowed(), now)?;
                }
                store::set_answers_read(conn, read)
            })
            .await
    }

    async fn read_reviews(&self, now: i64) -> Result<(), StoreError> {
        let due = self
            .db
            .read(move |conn| store::reviews_to_remind(conn, now))
            .await?;
        for review in due {
            let map = review.map;
            let readers = self.db.read(move |conn| store::readers(conn, map)).await?;
            let text = format!(
                "“{}” is due for its review (every {} days): look it over, then mark it reviewed on your maps page",
                review.title, review.days
            );
            let lines: Vec<OwnedLine> = readers
                .into_iter()
                .filter(is_owner)
                .map(|owner| OwnedLine::new(owner.id, Kind::Review, map, "", text.clone()))
                .collect();
            self.db
                .writer()
                .write(move |conn| {
                    for line in &lines {
                        store::add_line(conn, &line.borrowed(), now)?;
                    }
                    store::set_reminded(conn, map, now)
                })
                .await?;
        }
        Ok(())
    }

    async fn send_digests(&self, now: i64) -> Result<(), StoreError> {
        let delay = i64::try_from(self.delay.as_millis()).unwrap_or(i64::MAX);
        let before = now.saturating_sub(delay);
        let due = self
            .db
            .read(move |conn| store::digests_due(conn, before, DIGESTS_PER_PASS))
            .await?;
        if due.is_empty() {
            return Ok(());
        }
        for user in due {
            let mailer = self.mailer.clone();
            let signer = self.signer();
            self.db
                .writer()
                .write(move |conn| {
                    let Some((recipient, lines)) = store::take_lines(conn, user)? else {
                        return Ok(());
                    };
                    if let Some(letter) = digest(&mailer, &signer, user, &recipient, &lines) {
                        crate::db::mail::queue(conn, &letter, now)?;
                    }
                    Ok(())
                })
                .await?;
        }
        self.mailer.wake();
        Ok(())
    }

    fn signer(&self) -> unsubscribe::Signer {
        unsubscribe::Signer::new(self.db.pseudonyms())
    }
}

/// The digest of `lines` for `user`, or nothing if none is left to tell.
fn digest(
    mailer: &Mailer,
    signer: &unsubscribe::Signer,
    user: UserId,
    recipient: &store::Recipient,
    lines: &[store::Gathered],
) -> Option<crate::db::mail::Letter> {
    if lines.is_empty() {
        return None;
    }
    let mut parts: Vec<DigestPart> = Vec::new();
    let mut kinds: Vec<Kind> = Vec::new();
    for (shown, line) in lines.iter().enumerate() {
        if !kinds.contains(&line.kind) {
            kinds.push(line.kind);
        }
        if shown == LINES_PER_DIGEST {
            let more = lines.len() - LINES_PER_DIGEST;
            if let Some(part) = parts.last_mut() {
                part.lines
                    .push(format!("… and {more} more: open your maps to see them"));
            }
        }
        if shown >= LINES_PER_DIGEST {
            continue;
        }
        let link = mailer.link(&format!("/maps/{}", line.map));
        match parts.iter_mut().find(|p| p.link == link) {
            Some(part) => part.lines.push(line.text.clone()),
            None => parts.push(DigestPart {
                title: line.map_title.clone(),
                link,
                lines: vec![line.text.clone()],
            }),
        }
    }
    kinds.sort();
    let token = signer.token(user, &kinds);
    Some(letters::digest(
        &recipient.email,
        &recipient.name,
        &parts,
        &unsubscribe::describe(&kinds),
        &mailer.link(&unsubscribe::path(&token)),
        &mailer.link("/account"),
    ))
}

/// Who owns a map's touchpoints: the owner of a touchpoint's stage, or else the map's owners.
struct Owners {
    map: Vec<UserId>,
    /// (stage, its owner), for the stages that have one.
    stages: Vec<(String, UserId)>,
    journey: Option<std::sync::Arc<JourneyMap>>,
}

impl Owners {
    /// The owners of a touchpoint in `stage` (unknown: a card since deleted).
    fn of(&self, stage: Option<StageId>) -> Vec<UserId> {
        let stage = stage.map(|s| s.to_string());
        let owner = self
            .stages
            .iter()
            .find(|(s, _)| Some(s) == stage.as_ref())
            .map(|(_, user)| *user);
        match owner {
            Some(user) => vec![user],
            None => self.map.clone(),
        }
    }
}

/// The map's owners; an admin who is not one is not told.
fn is_owner(reader: &Reader) -> bool {
    reader.role == Some(Role::Owner)
}

/// "on “Checkout”": what a comment is about, from the map as it is now.
fn target_name(map: &JourneyMap, target: Target) -> String {
    let name = match target {
        Target::Card(id) => map.card(id).map(|c| c.text.as_str().to_owned()),
        Target::Stage(id) => map.stage(id).map(|s| s.name.as_str().to_owned()),
        Target::Lane(id) => map.lane(id).map(|l| l.name.as_str().to_owned()),
    };
    match name {
        Some(name) if !name.trim().is_empty() => format!(" on “{}”", quote(&name)),
        _ => String::new(),
    }
}

/// The start of `text`, on one line.
fn quote(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= QUOTE_CHARS {
        return flat;
    }
    let mut cut: String = flat.chars().take(QUOTE_CHARS).collect();
    cut.push('…');
    cut
}

/// A line made before the writer stores it.
struct OwnedLine {
    user: UserId,
    kind: Kind,
    map: MapId,
    subject: String,
    text: String,
    count: u32,
}

impl OwnedLine {
    fn new(user: UserId, kind: Kind, map: MapId, subject: &str, text: String) -> OwnedLine {
        OwnedLine {
            user,
            kind,
            map,
            subject: subject.to_owned(),
            text,
            count: 1,
        }
    }

    fn borrowed(&self) -> Line<'_> {
        Line {
            user: self.user,
            kind: self.kind,
            map: self.map,
            subject: &self.subject,
            text: &self.text,
            count: self.count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_one_line_and_short() {
        assert_eq!(quote("  a\n\nb\tc "), "a b c");
        let long = "x".repeat(QUOTE_CHARS + 10);
        let quoted = quote(&long);
        assert_eq!(quoted.chars().count(), QUOTE_CHARS + 1);
        assert!(quoted.ends_with('…'));
    }
}
