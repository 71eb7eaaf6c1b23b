//! Who is on a map: one seat per connection, the caps on how many seats there are and who may
//! take them, and the list of people everyone sees.
//!
//! Editors and readers have caps of their own, so read-only visitors cannot keep the team out of
//! its own map; a share link, an address visiting through links, and an account each have a cap
//! too, so no single one of them fills the map. The list is announced at most once per
//! `ANNOUNCE_EVERY` however fast focus changes, and encoded once for everyone.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use app::domain::ids::{LinkId, UserId};
use app::domain::protocol::{Focus, Peer, ServerMsg, SessionId, PALETTE};
use axum::extract::ws::Utf8Bytes;
use tokio::time::Instant;

use crate::lock;
use crate::rooms::{Room, RoomEvent};
use crate::throttle::network;

/// Most people editing one map at once.
pub const MAX_EDITORS: usize = 100;
/// Most read-only connections (viewers and share-link visitors) to one map.
pub const MAX_READERS: usize = 200;
/// Most connections through one share link.
pub const MAX_PER_LINK: usize = 100;
/// Most connections through share links from one address (one household, office or server).
pub const MAX_PER_ADDRESS: usize = 30;
/// Most connections of one account to one map (tabs, devices).
pub const MAX_PER_ACCOUNT: usize = 10;
/// Shortest time between two announcements of the people on a map.
const ANNOUNCE_EVERY: Duration = Duration::from_millis(100);

/// What a connection is, as the caps count it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seat {
    pub can_edit: bool,
    pub link: Option<LinkId>,
    pub account: Option<UserId>,
    pub address: IpAddr,
}

/// Why a connection found no seat.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Full {
    #[error("this map already has {MAX_EDITORS} people editing it")]
    Editors,
    #[error("this map already has {MAX_READERS} people following it")]
    Readers,
    #[error("this link is open in too many places at once")]
    Link,
    #[error("too many connections to this map from your network")]
    Address,
    #[error("this map is open in too many of your tabs")]
    Account,
}

#[derive(Default)]
pub(super) struct Presence {
    seats: BTreeMap<SessionId, (Peer, Seat)>,
    /// An announcement is waiting for its time.
    scheduled: bool,
    last_announced: Option<Instant>,
}

impl Presence {
    /// Seats a connection, unless a cap is reached.
    pub(super) fn admit(
        &mut self,
        session: SessionId,
        name: String,
        seat: Seat,
    ) -> Result<(), Full> {
        let seats = || self.seats.values().map(|(_, s)| s);
        let count = |keep: &dyn Fn(&Seat) -> bool| seats().filter(|s| keep(s)).count();
        if seat.can_edit && count(&|s| s.can_edit) >= MAX_EDITORS {
            return Err(Full::Editors);
        }
        if !seat.can_edit && count(&|s| !s.can_edit) >= MAX_READERS {
            return Err(Full::Readers);
        }
        if let Some(link) = seat.link {
            if count(&|s| s.link == Some(link)) >= MAX_PER_LINK {
                return Err(Full::Link);
            }
            let from = network(seat.address);
            if count(&|s| s.link.is_some() && network(s.address) == from) >= MAX_PER_ADDRESS {
                return Err(Full::Address);
            }
        }
        if let Some(account) = seat.account {
            if count(&|s| s.account == Some(account)) >= MAX_PER_ACCOUNT {
                return Err(Full::Account);
            }
        }
        let used: Vec<u8> = self.seats.values().map(|(p, _)| p.colour).collect();
        let colour = (0..PALETTE.len() as u8)
            .find(|c| !used.contains(c))
            .unwrap_or((session.0 % PALETTE.len() as u64) as u8);
        let peer = Peer {
            session,
            name,
            colour,
            focus: None,
        };
        self.seats.insert(session, (peer, seat));
        Ok(())
    }

    pub(super) fn leave(&mut self, session: SessionId) -> bool {
        self.seats.remove(&session).is_some()
    }

    /// Records what a connection is editing; whether that changed anything.
    pub(super) fn set_focus(&mut self, session: SessionId, focus: Option<Focus>) -> bool {
        match self.seats.get_mut(&session) {
            Some((peer, seat)) if seat.can_edit && peer.focus != focus => {
                peer.focus = focus;
                true
            }
            _ => false,
        }
    }

    /// A connection now may (or may no longer) edit. Its focus goes with its editing.
    pub(super) fn set_can_edit(&mut self, session: SessionId, can_edit: bool) -> bool {
        match self.seats.get_mut(&session) {
            Some((peer, seat)) if seat.can_edit != can_edit => {
                seat.can_edit = can_edit;
                peer.focus = None;
                true
            }
            _ => false,
        }
    }

    fn encoded(&self) -> Option<Utf8Bytes> {
        let peers = self.seats.values().map(|(p, _)| p.clone()).collect();
        match serde_json::to_string(&ServerMsg::Peers { peers }) {
            Ok(json) => Some(json.into()),
            Err(err) => {
                tracing::error!(%err, "cannot encode the people on a map");
                None
            }
        }
    }
}

/// Tells everyone on the map who is there now: at once when the last announcement is long
/// enough ago, otherwise once that time has come, with whatever changed until then.
pub(super) fn announce(room: &Arc<Room>) {
    let mut presence = lock(&room.presence);
    if presence.scheduled {
        return;
    }
    let now = Instant::now();
    let due = presence
        .last_announced
        .map_or(now, |last| (last + ANNOUNCE_EVERY).max(now));
    if due <= now {
        presence.last_announced = Some(now);
        if let Some(json) = presence.encoded() {
            let _nobody_listening = room.events.send(RoomEvent::Peers(json));
        }
        return;
    }
    presence.scheduled = true;
    drop(presence);
    let room = room.clone();
    tokio::spawn(async move {
        tokio::time::sleep_until(due).await;
        let mut presence = lock(&room.presence);
        presence.scheduled = false;
        presence.last_announced = Some(Instant::now());
        if let Some(json) = presence.encoded() {
            let _nobody_listening = room.events.send(RoomEvent::Peers(json));
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn seat(can_edit: bool, link: Option<LinkId>, address: &str) -> Seat {
        Seat {
            can_edit,
            link,
            account: None,
            address: address.parse().unwrap(),
        }
    }

    #[test]
    fn readers_cannot_keep_editors_out() {
        let mut presence = Presence::default();
        let link = LinkId::from_uuid(Uuid::new_v4());
        let mut session = 0;
        let mut next = || {
            session += 1;
            SessionId(session)
        };
        // Visitors through one link from many addresses fill the link's seats…
        for i in 0..MAX_PER_LINK {
            let address = format!("198.51.{}.{}", i / 250, i % 250);
            assert_eq!(
                presence.admit(next(), "v".into(), seat(false, Some(link), &address)),
                Ok(())
            );
        }
        assert_eq!(
            presence.admit(next(), "v".into(), seat(false, Some(link), "203.0.113.1")),
            Err(Full::Link)
        );
        // …and the other readers' seats, but never the editors'.
        for i in 0..(MAX_READERS - MAX_PER_LINK) {
            let address = format!("192.0.2.{}", i % 250);
            let other = seat(false, None, &address);
            assert_eq!(presence.admit(next(), "v".into(), other), Ok(()));
        }
        assert_eq!(
            presence.admit(next(), "v".into(), seat(false, None, "192.0.2.1")),
            Err(Full::Readers)
        );
        assert_eq!(
            presence.admit(next(), "ed".into(), seat(true, None, "192.0.2.1")),
            Ok(())
        );
    }

    #[test]
    fn one_address_cannot_take_all_of_a_links_seats() {
        let mut presence = Presence::default();
        let link = LinkId::from_uuid(Uuid::new_v4());
        for i in 0..MAX_PER_ADDRESS {
            let s = seat(false, Some(link), "203.0.113.7");
            assert_eq!(presence.admit(SessionId(i as u64), "v".into(), s), Ok(()));
        }
        let again = seat(false, Some(link), "203.0.113.7");
        assert_eq!(
            presence.admit(SessionId(999), "v".into(), again),
            Err(Full::Address)
        );
        let elsewhere = seat(false, Some(link), "203.0.113.8");
        assert_eq!(
            presence.admit(SessionId(1000), "v".into(), elsewhere),
            Ok(())
        );
    }

    #[test]
    fn only_editors_have_a_focus() {
        let mut presence = Presence::default();
        let focus = Some(Focus::Card(
            app::domain::ids::CardId::from_uuid(Uuid::nil()),
        ));
        presence
            .admit(SessionId(1), "r".into(), seat(false, None, "192.0.2.1"))
            .unwrap();
        presence
            .admit(SessionId(2), "e".into(), seat(true, None, "192.0.2.1"))
            .unwrap();
        assert!(!presence.set_focus(SessionId(1), focus));
        assert!(presence.set_focus(SessionId(2), focus));
        assert!(!presence.set_focus(SessionId(2), focus));
        assert!(presence.set_can_edit(SessionId(2), false));
        assert!(!presence.set_focus(SessionId(2), focus));
    }
}
