//! Guards that protect the owner instead of locking them out, and that cannot be raced or made
//! to do unbounded work, tried as an attacker would: over real sockets to a real server behind
//! a trusted proxy (loopback), which names each client in `X-Forwarded-For`.

use app::api::auth::{LogIn, SetUp};
use app::api::ctx::Accounts;
use app::api::sharing::AcceptInvite;
use app::domain::access::Role;
use app::domain::template::Template;
use leptos::server_fn::ServerFn;
use server::backend::ServerBackend;
use server::connections::Options;
use server::proxies::TrustedProxies;
use server::state::SiteConfig;

use crate::support::{accounts, http, new_map, person, serve_app, Disk, HttpReply, Running};

struct Site {
    _disk: Disk,
    backend: ServerBackend,
    server: Running,
    admin_email: String,
}

/// A server whose clients all arrive through a proxy on loopback (when `behind_proxy`).
async fn site(behind_proxy: bool) -> Site {
    let disk = Disk::new();
    let backend = disk.open();
    let (admin, _) = person(&backend, true, None).await;
    let trusted = if behind_proxy {
        TrustedProxies::parse(&["127.0.0.1"]).unwrap()
    } else {
        TrustedProxies::default()
    };
    let site = SiteConfig {
        trusted_proxies: trusted.clone(),
        ..SiteConfig::default()
    };
    let app = server::router::router(disk.state(backend.clone(), site));
    let server = serve_app(app, Options::new(trusted)).await;
    Site {
        _disk: disk,
        backend,
        server,
        admin_email: admin.email,
    }
}

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let escaped: String = v
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{k}={escaped}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Site {
    /// Posts a server function's form from `client`.
    async fn call(&self, path: &str, client: &str, body: &str) -> HttpReply {
        let headers = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
            ("X-Forwarded-For", client),
        ];
        http(self.server.addr, "POST", path, &headers, body).await
    }

    async fn sign_in(&self, client: &str, email: &str, password: &str) -> HttpReply {
        let body = form(&[("email", email), ("password", password)]);
        self.call(LogIn::PATH, client, &body).await
    }
}

fn signed_in(reply: &HttpReply) -> bool {
    reply
        .header("set-cookie")
        .is_some_and(|c| c.starts_with("waymark_session=") && !c.contains("Max-Age=0"))
}

#[tokio::test]
async fn guessing_from_one_address_stops_only_that_address() {
    let site = site(true).await;
    let attacker = "203.0.113.66";
    let mut replies = Vec::new();
    for n in 0..25 {
        let email = format!("nobody{n}@example.com");
        replies.push(site.sign_in(attacker, &email, "wrong password").await);
    }
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    // Some guesses are judged (400); others are told to wait, because the password work left to
    // addresses that fail is used up for the moment, or because this address failed too often.
    assert!(
        statuses.iter().all(|s| matches!(s, 400 | 429)),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 400).count() <= 20,
        "{statuses:?}"
    );
    let last = replies.last().unwrap();
    assert!(last.body.contains("TooManyRequests"), "{}", last.body);
    assert!(last.header("retry-after").is_some());
    // The admin, from their own address, signs in at once.
    let admin = site
        .sign_in("198.51.100.7", &site.admin_email, "a long password")
        .await;
    assert!(signed_in(&admin), "{} {}", admin.status, admin.body);
}

#[tokio::test]
async fn an_account_under_attack_still_opens_with_the_right_password() {
    let site = site(true).await;
    // Guesses at the admin's own account from many addresses, each failing.
    for n in 0..30 {
        let attacker = format!("203.0.113.{n}");
        let reply = site
            .sign_in(&attacker, &site.admin_email, &format!("guess number {n}"))
            .await;
        assert!(matches!(reply.status, 400 | 429), "{}", reply.status);
        // Once failed, an address waits for the account's backoff before guessing again.
        let again = site.sign_in(&attacker, &site.admin_email, "again").await;
        if n >= 5 {
            assert_eq!(again.status, 429, "guess {n} again");
            assert!(again.header("retry-after").is_some());
        }
    }
    let admin = site
        .sign_in("198.51.100.7", &site.admin_email, "a long password")
        .await;
    assert!(signed_in(&admin), "{} {}", admin.status, admin.body);
}

#[tokio::test]
async fn a_concurrent_burst_cannot_slip_past_the_limit() {
    let site = std::sync::Arc::new(site(true).await);
    let guesses: Vec<_> = (0..60)
        .map(|n| {
            let site = site.clone();
            tokio::spawn(async move {
                let email = format!("x{n}@example.com");
                site.sign_in("203.0.113.9", &email, "wrong password")
                    .await
                    .status
            })
        })
        .collect();
    let mut judged = 0;
    for guess in guesses {
        match guess.await.unwrap() {
            400 => judged += 1,
            429 => {}
            other => panic!("{other}"),
        }
    }
    assert!(
        judged <= 20,
        "{judged} guesses were judged; the limit is 20"
    );
}

#[tokio::test]
async fn forwarding_headers_count_only_from_a_trusted_proxy() {
    let site = site(false).await;
    // Every request claims another address; none is believed.
    let mut last = 0;
    for n in 0..21 {
        let claimed = format!("192.0.2.{n}");
        last = site
            .sign_in(&claimed, &format!("x{n}@example.com"), "wrong password")
            .await
            .status;
    }
    assert_eq!(last, 429, "all of them came from loopback");
}

#[tokio::test]
async fn setting_up_again_is_refused_before_any_password_work() {
    let disk = Disk::new();
    let backend = disk.open();
    person(&backend, true, None).await;
    let state = disk.state(backend.clone(), SiteConfig::default());
    let passwords = state.accounts.passwords.clone();
    let app = server::router::router(state);
    let server = serve_app(app, Options::new(Default::default())).await;
    let body = form(&[
        ("email", "late@example.com"),
        ("name", "Late"),
        ("password", "a long password"),
    ]);
    let calls: Vec<_> = (0..50)
        .map(|_| {
            let body = body.clone();
            let addr = server.addr;
            tokio::spawn(async move {
                let headers = [("Content-Type", "application/x-www-form-urlencoded")];
                http(addr, "POST", SetUp::PATH, &headers, &body)
                    .await
                    .status
            })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), 400);
    }
    assert_eq!(passwords.runs(), 0, "no password was hashed");
}

#[tokio::test]
async fn an_invitation_bound_to_an_email_takes_only_that_email_and_few_tries() {
    let site = site(true).await;
    let map = new_map(&site.backend, Template::Blank).await;
    let (owner, _) = person(&site.backend, false, Some((map, Role::Owner))).await;
    let accounts = accounts(&site.backend);
    let invite = |email: Option<&str>| {
        let terms = app::api::sharing::InviteTerms {
            offer: Some((map, Role::Editor)),
            email: email.map(|e| app::domain::account::Email::parse(e).unwrap()),
        };
        let accounts = accounts.clone();
        async move { accounts.create_invite(owner.id, terms).await.unwrap() }
    };
    let accept = |token: String, email: &str, client: &str| {
        let body = form(&[
            ("token", &token),
            ("email", email),
            ("name", "New"),
            ("password", "a long password"),
        ]);
        let client = client.to_owned();
        let site = &site;
        async move { site.call(AcceptInvite::PATH, &client, &body).await }
    };

    let bound = invite(Some("cfo@example.com")).await;
    let wrong = accept(bound.token.clone(), "mallory@example.com", "203.0.113.1").await;
    assert_eq!(wrong.status, 400);
    assert!(wrong.body.contains("another email"), "{}", wrong.body);
    let right = accept(bound.token.clone(), "cfo@example.com", "198.51.100.1").await;
    assert!(signed_in(&right), "{} {}", right.status, right.body);

    // An open invitation cannot be used to probe for accounts without end.
    let open = invite(None).await;
    let mut statuses = Vec::new();
    for n in 0..12 {
        let client = format!("203.0.113.{}", 100 + n);
        statuses.push(
            accept(open.token.clone(), &site.admin_email, &client)
                .await
                .status,
        );
    }
    assert!(statuses[..10].iter().all(|s| *s == 400), "{statuses:?}");
    assert_eq!(statuses[11], 429, "{statuses:?}");
}

#[tokio::test]
async fn sign_in_goes_back_only_to_this_site() {
    let site = site(true).await;
    for next in [
        "/\t/example.org",
        "//example.org",
        "/\\example.org",
        "/é",
        "https://x.org",
    ] {
        let body = form(&[
            ("email", &site.admin_email),
            ("password", "a long password"),
            ("next", next),
        ]);
        let headers = [
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "text/html"),
            ("X-Forwarded-For", "198.51.100.2"),
        ];
        let reply = http(site.server.addr, "POST", LogIn::PATH, &headers, &body).await;
        assert!(
            signed_in(&reply),
            "{next:?}: {} {}",
            reply.status,
            reply.body
        );
        assert_eq!(reply.header("location"), Some("/"), "{next:?}");
    }
    let body = form(&[
        ("email", &site.admin_email),
        ("password", "a long password"),
        ("next", "/maps/1?x=y"),
    ]);
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept", "text/html"),
        ("X-Forwarded-For", "198.51.100.2"),
    ];
    let reply = http(site.server.addr, "POST", LogIn::PATH, &headers, &body).await;
    assert_eq!(reply.header("location"), Some("/maps/1?x=y"));
}

#[tokio::test]
async fn slow_headers_are_given_up_on() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let disk = Disk::new();
    let app = disk.bare_router(disk.open());
    let options = Options {
        header_read_timeout: std::time::Duration::from_millis(500),
        ..Options::new(Default::default())
    };
    let server = serve_app(app, options).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let closed = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut rest),
    );
    assert!(closed.await.is_ok(), "the connection was closed");
}

#[tokio::test]
async fn one_address_cannot_hold_every_connection() {
    let disk = Disk::new();
    let app = disk.bare_router(disk.open());
    let options = Options {
        max_per_address: 3,
        ..Options::new(Default::default())
    };
    let server = serve_app(app, options).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    // The fourth is accepted and closed at once; the held ones still answer.
    let refused = http(server.addr, "GET", "/healthz", &[], "").await;
    assert_eq!(refused.status, 0, "no answer over a refused connection");
    drop(held);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        http(server.addr, "GET", "/healthz", &[], "").await.status,
        200
    );
}

#[tokio::test]
async fn the_api_key_is_checked_before_the_body_is_read() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let site = site(true).await;
    let map = new_map(&site.backend, Template::Blank).await;
    let mut stream = tokio::net::TcpStream::connect(site.server.addr)
        .await
        .unwrap();
    // Promises 30 MB and sends none of it.
    let head = format!(
        "POST /api/v1/maps/{map}/responses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
         Authorization: Bearer wmk_{}\r\nContent-Length: 30000000\r\n\r\n",
        "0".repeat(64)
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = [0u8; 64];
    let read = tokio::time::timeout(std::time::Duration::from_secs(5), stream.read(&mut answer));
    let n = read.await.expect("answered without the body").unwrap();
    let status = String::from_utf8_lossy(&answer[..n]).into_owned();
    assert!(status.starts_with("HTTP/1.1 401"), "{status}");
}

#[tokio::test]
async fn form_answers_from_one_network_turn_nobody_else_away() {
    use app::api::ctx::Feedback;
    use app::domain::edit::Edit;
    let site = site(true).await;
    let map = new_map(&site.backend, Template::CustomerJourney).await;
    let cards: Vec<_> = site.backend.rooms.snapshot(map).await.unwrap().map.cards()[..2]
        .iter()
        .map(|c| c.id)
        .collect();
    let survey = app::domain::feedback::Survey::default_for("checkout");
    let ops = cards
        .iter()
        .map(|id| {
            crate::support::op(Edit::SetCardSurvey {
                id: *id,
                survey: Some(survey.clone()),
            })
        })
        .collect();
    let author = crate::support::author("Test");
    site.backend.rooms.submit(map, ops, &author).await.unwrap();
    let feedback =
        server::feedback::ServerFeedback::new(site.backend.db.clone(), site.backend.rooms.clone());
    let form = feedback.form_token(map, cards[0], false).await.unwrap();
    let other_form = feedback.form_token(map, cards[1], false).await.unwrap();
    let answer = |token: &str, client: &str| {
        let path = format!("/f/{token}");
        let client = client.to_owned();
        let addr = site.server.addr;
        async move {
            let headers = [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Forwarded-For", client.as_str()),
            ];
            let reply = http(addr, "POST", &path, &headers, "nps=7").await;
            reply.header("location").unwrap_or_default().to_owned()
        }
    };
    for _ in 0..30 {
        assert!(answer(&form, "203.0.113.5").await.ends_with("/thanks"));
    }
    assert!(answer(&form, "203.0.113.5")
        .await
        .contains("error=Too%20many"));
    assert!(answer(&form, "198.51.100.5").await.ends_with("/thanks"));
    assert!(answer(&other_form, "203.0.113.5")
        .await
        .ends_with("/thanks"));
}

#[tokio::test]
async fn when_password_work_is_full_suspects_are_told_to_wait_and_the_owner_goes_first() {
    let disk = Disk::new();
    let backend = disk.open();
    let (admin, _) = person(&backend, true, None).await;
    let trusted = TrustedProxies::parse(&["127.0.0.1"]).unwrap();
    let site = SiteConfig {
        trusted_proxies: trusted.clone(),
        ..SiteConfig::default()
    };
    let mut state = disk.shared(backend.clone(), site);
    // One argon2 at a time, as on a one-core machine.
    state.accounts.passwords = server::secrets::Passwords::new(1);
    let app = server::router::router(state.into());
    let server = serve_app(app, Options::new(trusted)).await;
    let site = std::sync::Arc::new(Site {
        _disk: disk,
        backend,
        server,
        admin_email: admin.email,
    });
    // Addresses that have failed once, each guessing again at once, all together.
    for n in 0..16 {
        site.sign_in(&format!("203.0.113.{n}"), "x@example.com", "wrong one")
            .await;
    }
    let flood: Vec<_> = (0..16)
        .map(|n| {
            let site = site.clone();
            tokio::spawn(async move {
                let reply = site
                    .sign_in(
                        &format!("203.0.113.{n}"),
                        &format!("y{n}@example.com"),
                        "wrong",
                    )
                    .await;
                (reply.status, reply.header("retry-after").map(str::to_owned))
            })
        })
        .collect();
    let owner = {
        let site = site.clone();
        tokio::spawn(async move {
            site.sign_in("198.51.100.9", &site.admin_email, "a long password")
                .await
        })
    };
    let mut busy = 0;
    for guess in flood {
        match guess.await.unwrap() {
            (400, _) => {}
            (429, Some(retry)) => {
                assert_eq!(retry, "1");
                busy += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(busy > 0, "some were told the server is busy");
    let owner = owner.await.unwrap();
    assert!(signed_in(&owner), "{} {}", owner.status, owner.body);
}

#[tokio::test]
async fn a_browser_that_signed_in_before_gets_in_whatever_guessing_goes_on() {
    let site = site(true).await;
    let office = "203.0.113.200";
    // The admin signs in once from the office: the browser is remembered.
    let first = site
        .sign_in(office, &site.admin_email, "a long password")
        .await;
    let device = first
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .find_map(|(_, value)| {
            value
                .split(';')
                .next()
                .filter(|c| c.starts_with("waymark_device="))
        })
        .expect("a device cookie")
        .to_owned();
    // Someone in the same office guesses at the admin's account until it is slowed down.
    let mut slowed = false;
    for n in 0..12 {
        let guess = site
            .sign_in(office, &site.admin_email, &format!("guess {n}"))
            .await;
        slowed |= guess.status == 429;
    }
    assert!(slowed, "guessing was slowed down");
    // The admin's own browser still gets in at once, from that same address.
    let body = form(&[
        ("email", &site.admin_email),
        ("password", "a long password"),
    ]);
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("Accept", "application/json"),
        ("X-Forwarded-For", office),
        ("Cookie", device.as_str()),
    ];
    let again = http(site.server.addr, "POST", LogIn::PATH, &headers, &body).await;
    assert!(signed_in(&again), "{} {}", again.status, again.body);
    // A device cookie opens nothing by itself: a wrong password is still wrong.
    let body = form(&[("email", &site.admin_email), ("password", "not it at all")]);
    let wrong = http(site.server.addr, "POST", LogIn::PATH, &headers, &body).await;
    assert_eq!(wrong.status, 400);
}
