//! Access is live: an open socket loses what its owner loses, within a second, and is told why.
//! Each test opens real sockets to a real server on loopback, changes someone's standing
//! through the accounts service the server functions use, and watches the socket.

use std::time::Duration;

use app::api::ctx::{Accounts, Backend};
use app::api::sharing::{Disclosure, NewShareLink};
use app::domain::access::Role;
use app::domain::account::{Password, Token};
use app::domain::edit::Edit;
use app::domain::ids::{MapId, Rev};
use app::domain::map::Comment;
use app::domain::protocol::{ClientMsg, Ended, ServerMsg};
use app::domain::template::Template;
use app::domain::text::{Name, Text};
use server::backend::ServerBackend;
use server::connections::Options;

use crate::support::{accounts, new_map, op, person, serve_app, Client, Disk, Running};

/// How soon a change must reach an open socket.
const WITHIN: Duration = Duration::from_secs(1);

struct World {
    /// Holds the data directory for as long as the test runs.
    _disk: Disk,
    backend: ServerBackend,
    server: Running,
    map: MapId,
}

async fn world() -> World {
    world_with(server::hub::LiveLimits::default()).await
}

/// A world whose sockets give up on a writer quickly, and let clients send as fast as they like.
async fn impatient_world() -> World {
    world_with(server::hub::LiveLimits {
        ops_per_second: 1e6,
        burst: 1e6,
        write_timeout: Duration::from_millis(500),
    })
    .await
}

async fn world_with(limits: server::hub::LiveLimits) -> World {
    let disk = Disk::new();
    let backend = disk.open();
    let map = new_map(&backend, Template::CustomerJourney).await;
    // An admin exists, so nobody here is the first account.
    person(&backend, true, None).await;
    let mut shared = disk.shared(backend.clone(), Default::default());
    shared.live_limits = limits;
    let app = server::router::router(shared.into());
    let server = serve_app(app, Options::new(Default::default())).await;
    World {
        _disk: disk,
        backend,
        server,
        map,
    }
}

impl World {
    async fn connect(&self, cookie: &str) -> Client {
        let (client, welcome) =
            Client::connect_to(self.server.addr, self.map, Rev(0), "x", Some(cookie)).await;
        assert!(matches!(welcome, ServerMsg::Welcome { .. }), "{welcome:?}");
        client
    }

    async fn share(&self, shows: Disclosure) -> NewShareLink {
        crate::support::share_link(&self.backend, self.map, shows).await
    }

    async fn rev(&self) -> Rev {
        self.backend.rooms.snapshot(self.map).await.unwrap().rev
    }
}

fn goals(text: &str) -> ClientMsg {
    ClientMsg::Submit {
        ops: vec![op(Edit::SetGoals {
            text: Text::parse(text).unwrap(),
        })],
    }
}

/// The next message that is neither presence nor feedback news, within `WITHIN`.
async fn next_within(client: &mut Client) -> ServerMsg {
    tokio::time::timeout(WITHIN, client.next_not_peers())
        .await
        .expect("told within a second")
}

async fn assert_ended(client: &mut Client, why: Ended) {
    assert_eq!(next_within(client).await, ServerMsg::Ended { why });
    assert!(client.closes_within(WITHIN).await, "the socket is closed");
}

#[tokio::test]
async fn a_removed_editor_is_told_and_writes_nothing_more() {
    let world = world().await;
    let (editor, cookie) = person(&world.backend, false, Some((world.map, Role::Editor))).await;
    let mut socket = world.connect(&cookie).await;
    let before = world.rev().await;

    accounts(&world.backend)
        .set_member_role(world.map, editor.id, None)
        .await
        .unwrap();
    // Sent after the removal: whatever the socket still does, nothing is written.
    socket.send(&goals("written after removal")).await;
    assert_ended(&mut socket, Ended::Removed).await;
    assert_eq!(world.rev().await, before, "nothing was written");
    // And the way back in is closed too.
    let path = format!("/ws/maps/{}", world.map);
    let again = Client::open(world.server.addr, &path, Some(&cookie)).await;
    assert_eq!(again.err(), Some(404));
}

#[tokio::test]
async fn a_demoted_editor_keeps_following_but_cannot_edit() {
    let world = world().await;
    let (editor, cookie) = person(&world.backend, false, Some((world.map, Role::Editor))).await;
    let mut socket = world.connect(&cookie).await;
    accounts(&world.backend)
        .set_member_role(world.map, editor.id, Some(Role::Viewer))
        .await
        .unwrap();
    assert_eq!(
        next_within(&mut socket).await,
        ServerMsg::Role { can_edit: false }
    );
    let before = world.rev().await;
    socket.send(&goals("a viewer's edit")).await;
    assert!(matches!(
        next_within(&mut socket).await,
        ServerMsg::Error { .. }
    ));
    assert_eq!(world.rev().await, before);

    // Someone else's edit still reaches the viewer.
    let (_, owner) = person(&world.backend, false, Some((world.map, Role::Owner))).await;
    let mut other = world.connect(&owner).await;
    other.send(&goals("from the owner")).await;
    loop {
        if let ServerMsg::Applied { log } = next_within(&mut socket).await {
            assert!(log
                .iter()
                .any(|l| matches!(l.op.edit, Edit::SetGoals { .. })));
            break;
        }
    }
    // Promoted again: told, though the page needs a reload to show the editing tools.
    accounts(&world.backend)
        .set_member_role(world.map, editor.id, Some(Role::Editor))
        .await
        .unwrap();
    assert_eq!(
        next_within(&mut socket).await,
        ServerMsg::Role { can_edit: true }
    );
}

#[tokio::test]
async fn a_deleted_account_is_disconnected() {
    let world = world().await;
    let (editor, cookie) = person(&world.backend, false, Some((world.map, Role::Editor))).await;
    let mut socket = world.connect(&cookie).await;
    accounts(&world.backend)
        .remove_user(editor.id)
        .await
        .unwrap();
    assert_ended(&mut socket, Ended::AccountRemoved).await;
}

#[tokio::test]
async fn an_admin_who_is_no_longer_one_loses_the_maps_they_only_saw_as_admin() {
    let world = world().await;
    let (admin, cookie) = person(&world.backend, true, None).await;
    let mut socket = world.connect(&cookie).await;
    accounts(&world.backend)
        .set_admin(admin.id, false)
        .await
        .unwrap();
    assert_ended(&mut socket, Ended::Removed).await;
}

#[tokio::test]
async fn signing_out_ends_that_sessions_sockets_only() {
    let world = world().await;
    let (editor, cookie) = person(&world.backend, false, Some((world.map, Role::Editor))).await;
    let accounts = accounts(&world.backend);
    // A second session of the same person, in another browser.
    let password = Password::attempt("a long password").unwrap();
    let email = app::domain::account::Email::parse(&editor.email).unwrap();
    let attempt = app::api::auth::SignIn {
        email,
        password,
        client: [127, 0, 0, 1].into(),
        device: None,
    };
    let other = accounts.log_in(attempt).await.unwrap().session;
    let other_cookie = format!("{}={}", app::api::auth::SESSION_COOKIE, other.as_str());
    let mut first = world.connect(&cookie).await;
    let mut second = world.connect(&other_cookie).await;

    let token = Token::parse(cookie.split_once('=').unwrap().1).unwrap();
    accounts.log_out(token).await.unwrap();
    assert_ended(&mut first, Ended::SignedOut).await;
    // The other browser goes on editing.
    second.send(&goals("still here")).await;
    loop {
        match next_within(&mut second).await {
            ServerMsg::Applied { .. } => break,
            ServerMsg::Ended { .. } => panic!("the other session was ended too"),
            _ => {}
        }
    }
}

#[tokio::test]
async fn changing_the_password_ends_every_open_socket() {
    let world = world().await;
    let (editor, cookie) = person(&world.backend, false, Some((world.map, Role::Editor))).await;
    let mut socket = world.connect(&cookie).await;
    accounts(&world.backend)
        .change_password(
            editor.id,
            Password::attempt("a long password").unwrap(),
            Password::new("another long password").unwrap(),
            [127, 0, 0, 1].into(),
        )
        .await
        .unwrap();
    assert_ended(&mut socket, Ended::SignedOut).await;
}

#[tokio::test]
async fn a_revoked_link_ends_its_sockets_even_one_that_has_not_said_hello() {
    let world = world().await;
    let link = world.share(Disclosure::default()).await;
    let path = format!("/ws/maps/{}?share={}", world.map, link.token);
    let mut following = Client::open(world.server.addr, &path, None).await.unwrap();
    following.hello(Rev(0), "Visitor").await;
    assert!(matches!(
        following.next_not_peers().await,
        ServerMsg::Welcome { .. }
    ));
    // Let in before the revoke, but silent until after it.
    let mut waiting = Client::open(world.server.addr, &path, None).await.unwrap();

    accounts(&world.backend)
        .revoke_share_link(world.map, link.link.id)
        .await
        .unwrap();
    assert_ended(&mut following, Ended::LinkRevoked).await;

    waiting.hello(Rev(0), "Late").await;
    assert_ended(&mut waiting, Ended::LinkRevoked).await;
}

#[tokio::test]
async fn a_link_that_expires_ends_its_sockets_at_that_time() {
    let world = world().await;
    let link = world.share(Disclosure::default()).await;
    // Expires a moment from now (the Share panel offers days; the clock is what is tested).
    let soon = server::clock::now_millis() + 1_500;
    let id = link.link.id.to_string();
    world
        .backend
        .db
        .writer()
        .write(move |conn| {
            conn.execute(
                "UPDATE share_links SET expires_at = ?1 WHERE id = ?2",
                rusqlite::params![soon, id],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    let path = format!("/ws/maps/{}?share={}", world.map, link.token);
    let mut socket = Client::open(world.server.addr, &path, None).await.unwrap();
    socket.hello(Rev(0), "Visitor").await;
    assert!(matches!(
        socket.next_not_peers().await,
        ServerMsg::Welcome { .. }
    ));
    let told = tokio::time::timeout(Duration::from_millis(1_500) + WITHIN, async {
        loop {
            if let ServerMsg::Ended { why } = socket.next_not_peers().await {
                return why;
            }
        }
    });
    assert_eq!(
        told.await.expect("told when it expired"),
        Ended::LinkExpired
    );
}

#[tokio::test]
async fn a_deleted_map_is_said_to_be_deleted() {
    let world = world().await;
    let (_, cookie) = person(&world.backend, false, Some((world.map, Role::Editor))).await;
    let mut socket = world.connect(&cookie).await;
    world.backend.delete_map(world.map).await.unwrap();
    assert_ended(&mut socket, Ended::MapDeleted).await;
}

#[tokio::test]
async fn someone_signed_in_without_a_role_follows_a_link_live() {
    let world = world().await;
    let link = world.share(Disclosure::default()).await;
    let (_, stranger) = person(&world.backend, false, None).await;
    let path = format!("/ws/maps/{}?share={}", world.map, link.token);
    let mut socket = Client::open(world.server.addr, &path, Some(&stranger))
        .await
        .expect("let in through the link");
    socket.hello(Rev(0), "Stranger").await;
    assert!(matches!(
        socket.next_not_peers().await,
        ServerMsg::Welcome { .. }
    ));
    socket.send(&goals("not through a link")).await;
    assert!(matches!(
        next_within(&mut socket).await,
        ServerMsg::Error { .. }
    ));
}

#[tokio::test]
async fn comments_are_signed_by_the_session_and_hidden_from_links_that_do_not_show_them() {
    let world = world().await;
    let (editor, cookie) = person(&world.backend, false, Some((world.map, Role::Editor))).await;
    let mut socket = world.connect(&cookie).await;
    let hidden = world.share(Disclosure::default()).await;
    let shown = world
        .share(Disclosure {
            comments: true,
            ..Disclosure::default()
        })
        .await;
    let visitor = |token: String| {
        let (addr, map) = (world.server.addr, world.map);
        async move {
            let path = format!("/ws/maps/{map}?share={token}");
            let mut client = Client::open(addr, &path, None).await.unwrap();
            client.hello(Rev(0), "Visitor").await;
            client.next_not_peers().await;
            client
        }
    };
    let mut without = visitor(hidden.token).await;
    let mut with = visitor(shown.token).await;

    let card = world
        .backend
        .rooms
        .snapshot(world.map)
        .await
        .unwrap()
        .map
        .cards()[0]
        .id;
    let comment = Comment {
        id: uuid::Uuid::new_v4().into(),
        target: app::domain::map::Target::Card(card),
        thread: None,
        author: Name::parse("Alice (CEO)").unwrap(),
        text: Text::parse("Approved").unwrap(),
        at: 0,
        resolved: false,
    };
    socket
        .send(&ClientMsg::Submit {
            ops: vec![op(Edit::AddComment { comment })],
        })
        .await;
    let stored = loop {
        if let ServerMsg::Applied { log } = next_within(&mut socket).await {
            break log[0].op.edit.clone();
        }
    };
    let Edit::AddComment { comment } = stored else {
        panic!("{stored:?}")
    };
    assert_eq!(
        comment.author.as_str(),
        editor.name,
        "signed by the session"
    );
    assert!(comment.at > 0, "timed by the server");

    assert_eq!(edit_seen_by(&mut without).await, Edit::Withheld);
    assert!(matches!(
        edit_seen_by(&mut with).await,
        Edit::AddComment { .. }
    ));
}

/// The edit of the next operations `client` receives.
async fn edit_seen_by(client: &mut Client) -> Edit {
    loop {
        if let ServerMsg::Applied { log } = next_within(client).await {
            return log[0].op.edit.clone();
        }
    }
}

#[tokio::test]
async fn a_browser_that_stops_reading_is_dropped_and_frees_its_seat() {
    let world = impatient_world().await;
    let (_, cookie) = person(&world.backend, false, Some((world.map, Role::Editor))).await;
    let mut writer = world.connect(&cookie).await;
    // Joins, then never reads again.
    let (_, reader) = person(&world.backend, false, Some((world.map, Role::Viewer))).await;
    let stalled = world.connect(&reader).await;
    let card = world
        .backend
        .rooms
        .snapshot(world.map)
        .await
        .unwrap()
        .map
        .cards()[0]
        .id;
    let long = Text::parse(&"x".repeat(4_900)).unwrap();
    // Megabytes of edits: more than the stalled socket's buffers hold.
    let dropped = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let ops = (0..100)
                .map(|_| {
                    op(Edit::SetCardText {
                        id: card,
                        text: long.clone(),
                    })
                })
                .collect();
            writer.send(&ClientMsg::Submit { ops }).await;
            // Until the people on the map are only the writer again.
            loop {
                match writer.next().await {
                    ServerMsg::Peers { peers } if peers.len() == 1 => return,
                    ServerMsg::Applied { .. } => break,
                    _ => {}
                }
            }
        }
    });
    dropped.await.expect("the stalled browser was dropped");
    drop(stalled);
}

#[tokio::test]
async fn focus_changes_are_announced_a_few_times_a_second_however_fast_they_come() {
    let world = impatient_world().await;
    let (_, editor) = person(&world.backend, false, Some((world.map, Role::Editor))).await;
    let (_, watcher) = person(&world.backend, false, Some((world.map, Role::Viewer))).await;
    let mut fidget = world.connect(&editor).await;
    let mut watching = world.connect(&watcher).await;
    let cards: Vec<_> = world
        .backend
        .rooms
        .snapshot(world.map)
        .await
        .unwrap()
        .map
        .cards()[..2]
        .iter()
        .map(|c| c.id)
        .collect();
    for n in 0..200 {
        let focus = Some(app::domain::protocol::Focus::Card(cards[n % 2]));
        fidget.send(&ClientMsg::Presence { focus }).await;
    }
    let mut announcements = 0;
    let counting = tokio::time::timeout(Duration::from_millis(1_000), async {
        loop {
            if let ServerMsg::Peers { .. } = watching.next().await {
                announcements += 1;
            }
        }
    });
    let _ = counting.await;
    // At most one per 100 ms, and at least the last one.
    assert!(
        (1..=12).contains(&announcements),
        "{announcements} announcements"
    );
}
