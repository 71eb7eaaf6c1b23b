//! Mail: the outbox against a real SMTP server (aiosmtpd, started by the test through
//! `.ci/smtp-sink.py`) that is down at first, with the real binary restarted in between; and
//! the rules of password-reset links (single use, expiry, the same answer for everyone, limits).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::api::error::AppError;
use app::domain::account::{Email, Password, Token};
use server::accounts::ServerAccounts;
use server::db::Db;
use server::mail::{MailSettings, Mailer};
use tempfile::TempDir;

use crate::binary::Waymark;
use crate::support::{http, path_of, person, Disk};

/// Longest a test waits for mail to arrive or leave the outbox (a deadline, not a target).
const PATIENCE: Duration = Duration::from_secs(90);

/// aiosmtpd on loopback, keeping what it receives in a directory; killed when dropped.
pub struct Sink {
    child: Child,
    pub dir: TempDir,
}

impl Sink {
    /// Starts the sink on `port` and waits until it accepts connections.
    pub fn start(port: u16) -> Sink {
        let python = std::env::var("WAYMARK_SMTP_PYTHON").unwrap_or_else(|_| {
            panic!(
                "WAYMARK_SMTP_PYTHON must name a Python with aiosmtpd: run .ci/test, or \
                 `source .ci/tools.sh && ensure_aiosmtpd` and export it"
            )
        });
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.ci/smtp-sink.py");
        let dir = tempfile::tempdir().unwrap();
        let mut child = Command::new(python)
            .arg(script)
            .args(["--port", &port.to_string(), "--dir"])
            .arg(dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the SMTP sink");
        let mut line = String::new();
        let stdout = child.stdout.take().unwrap();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).unwrap();
        assert!(
            line.starts_with("listening on"),
            "the SMTP sink said {line:?}"
        );
        Sink { child, dir }
    }

    /// The messages received so far, oldest first.
    pub fn messages(&self) -> Vec<String> {
        messages_in(self.dir.path())
    }

    /// Waits until at least `count` messages have arrived; returns them all.
    pub async fn wait_for(&self, count: usize) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(Instant::now() < deadline, "{count} messages did not arrive");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn messages_in(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "eml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect()
}

/// A loopback port nothing listens on (yet).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port()
}

/// The outbox of the database in `dir`: (messages waiting, attempts made on them in all).
fn outbox(dir: &Path) -> (i64, i64) {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("waymark.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    conn.query_row(
        "SELECT count(*), coalesce(sum(attempts), 0) FROM mail_outbox",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )
    .unwrap()
}

async fn until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "{what} did not happen");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The link a message carries to `path_prefix`, e.g. `/login?reset=`.
fn link_in(message: &str, prefix: &str) -> String {
    // Undo quoted-printable's soft line breaks and its `=` (a link has no other escapes).
    let message = message.replace("=\r\n", "").replace("=3D", "=");
    let at = message
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} link in {message}"));
    message[at + prefix.len()..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect()
}

#[tokio::test]
async fn mail_queued_while_the_smtp_server_is_down_is_delivered_once_it_is_up_even_after_a_restart()
{
    let dir = tempfile::tempdir().unwrap();
    Waymark::create_admin(dir.path(), "ada@example.com", "a long password");
    let smtp_port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let smtp_url = format!("smtp://127.0.0.1:{smtp_port}");
    let public_url = format!("http://{addr}");
    let env = [
        ("WAYMARK_SMTP_URL", smtp_url.as_str()),
        ("WAYMARK_SMTP_FROM", "Waymark <maps@example.com>"),
        ("WAYMARK_PUBLIC_URL", public_url.as_str()),
    ];
    let mut waymark = Waymark::start_at(dir.path(), addr, &env).await;
    let form = [("Content-Type", "application/x-www-form-urlencoded")];
    let asked = http(
        addr,
        "POST",
        &path_of("request_password_reset"),
        &form,
        "email=ada%40example.com",
    )
    .await;
    assert!(asked.status < 400, "asking for a reset: {}", asked.status);
    // Nothing listens on the SMTP port: the message waits, tried and not lost.
    until("a failed attempt", || {
        let (waiting, attempts) = outbox(dir.path());
        waiting == 1 && attempts >= 1
    })
    .await;
    waymark.stop();
    assert_eq!(outbox(dir.path()).0, 1, "the restart lost the message");

    let sink = Sink::start(smtp_port);
    let _waymark = Waymark::start_at(dir.path(), addr, &env).await;
    let messages = sink.wait_for(1).await;
    until("the outbox emptying", || outbox(dir.path()).0 == 0).await;
    assert_eq!(messages.len(), 1, "sent more than once: {messages:?}");
    let message = &messages[0];
    assert!(message.contains("To: ada@example.com"), "{message}");
    assert!(
        message.contains("From: Waymark <maps@example.com>"),
        "{message}"
    );
    assert!(
        message.contains("Subject: Set a new Waymark password"),
        "{message}"
    );
    let token = link_in(message, &format!("{public_url}/login?reset="));
    assert_eq!(token.len(), Token::DIGITS, "{message}");
}

const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));

/// Accounts with mail on, whose messages stay in the outbox (nothing delivers them) for the
/// test to read.
fn mailing(db: &Db, accounts: ServerAccounts) -> ServerAccounts {
    let settings = MailSettings::new(
        "smtp://127.0.0.1:9",
        Some("Waymark <maps@example.com>"),
        Some("https://maps.example.com"),
    )
    .unwrap();
    accounts.with_mail(Some(Mailer::new(db.clone(), settings)))
}

/// The queued messages' recipients and texts, oldest first.
async fn queued(db: &Db) -> Vec<(String, String)> {
    db.read(|conn| {
        let mut stmt = conn.prepare("SELECT recipient, text_body FROM mail_outbox ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    })
    .await
    .unwrap()
}

async fn wait_queued(db: &Db, count: usize) -> Vec<(String, String)> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let so_far = queued(db).await;
        if so_far.len() >= count {
            // Whatever else was asked for before has reached the writer by now too.
            db.writer().write(|_| Ok(())).await.unwrap();
            return queued(db).await;
        }
        assert!(
            Instant::now() < deadline,
            "{count} messages were not queued"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn dead_link(result: Result<String, AppError>) -> bool {
    matches!(result, Err(AppError::Invalid { field, .. }) if field == "link")
}

#[tokio::test]
async fn a_reset_link_works_once_within_the_hour_and_ends_every_session() {
    let disk = Disk::new();
    let backend = disk.open();
    let db = backend.db.clone();
    let accounts = mailing(&db, crate::support::accounts(&backend));
    let (user, cookie) = person(&backend, false, None).await;
    let session = Token::parse(cookie.split_once('=').unwrap().1).unwrap();
    let email = Email::parse(&user.email).unwrap();
    let new = || Password::new("a brand new password").unwrap();

    // Nobody with this address: the same answer, and no mail.
    let stranger = Email::parse("nobody@example.com").unwrap();
    accounts.request_reset(stranger, CLIENT).unwrap();
    accounts.request_reset(email.clone(), CLIENT).unwrap();
    let mail = wait_queued(&db, 1).await;
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert_eq!(mail[0].0, user.email);
    let token = Token::parse(&link_in(
        &mail[0].1,
        "https://maps.example.com/login?reset=",
    ))
    .unwrap();
    assert!(accounts.session(&session).await.unwrap().is_some());

    assert_eq!(
        accounts
            .reset_password_with(token.clone(), new(), CLIENT)
            .await
            .unwrap(),
        user.email
    );
    assert!(
        accounts.session(&session).await.unwrap().is_none(),
        "the old session outlived the reset"
    );
    assert!(
        dead_link(
            accounts
                .reset_password_with(token.clone(), new(), CLIENT)
                .await
        ),
        "a used link worked again"
    );
    assert!(!accounts.reset_is_live(&token).await.unwrap());

    // An hour later the next link is dead.
    accounts.request_reset(email.clone(), CLIENT).unwrap();
    let mail = wait_queued(&db, 2).await;
    let token = Token::parse(&link_in(&mail[1].1, "reset=")).unwrap();
    assert!(accounts.reset_is_live(&token).await.unwrap());
    db.writer()
        .write(|conn| {
            conn.execute(
                "UPDATE password_resets SET expires_at = ?1 - 1",
                [server::clock::now_millis()],
            )?;
            Ok(())
        })
        .await
        .unwrap();
    assert!(
        dead_link(accounts.reset_password_with(token, new(), CLIENT).await),
        "an expired link worked"
    );
}

#[tokio::test]
async fn nobody_can_flood_an_inbox_with_resets_and_they_need_mail() {
    let disk = Disk::new();
    let backend = disk.open();
    let db = backend.db.clone();
    let off = crate::support::accounts(&backend);
    let accounts = mailing(&db, crate::support::accounts(&backend));
    let (user, _) = person(&backend, false, None).await;
    let email = Email::parse(&user.email).unwrap();

    assert!(matches!(
        off.request_reset(email.clone(), CLIENT),
        Err(AppError::Invalid { .. })
    ));
    // Each from an address of its own: the per-email limit alone holds them back, quietly.
    for n in 0..6u8 {
        let from = IpAddr::V4(Ipv4Addr::new(198, 51, 100, n));
        accounts.request_reset(email.clone(), from).unwrap();
    }
    let mail = wait_queued(&db, 3).await;
    assert_eq!(mail.len(), 3, "one inbox got {} resets", mail.len());
    // One address asking about many: refused after its share.
    let refused = (0..20)
        .map(|n| Email::parse(&format!("someone{n}@example.com")).unwrap())
        .map(|someone| accounts.request_reset(someone, CLIENT))
        .filter(|r| matches!(r, Err(AppError::TooManyRequests(_))))
        .count();
    assert_eq!(refused, 10);
}

async fn verified(db: &Db, email: &str) -> bool {
    let email = email.to_owned();
    db.read(move |conn| {
        Ok(conn.query_row(
            "SELECT email_verified FROM users WHERE email = ?1",
            [email],
            |r| r.get(0),
        )?)
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn accounts_from_mailed_invitations_are_verified_and_the_others_confirm_by_a_link_once() {
    use app::api::auth::NewAccount;
    use app::api::ctx::Accounts;
    use app::api::sharing::InviteTerms;

    let disk = Disk::new();
    let backend = disk.open();
    let db = backend.db.clone();
    let accounts = mailing(&db, crate::support::accounts(&backend));
    let (admin, _) = person(&backend, true, None).await;
    let invite = |email: Option<&str>| InviteTerms {
        offer: None,
        email: email.map(|e| Email::parse(e).unwrap()),
    };
    let join = |token: &str, email: &str| {
        let account = NewAccount::from_form(email, "Someone", "a long enough password").unwrap();
        accounts.accept_invite(Token::parse(token).unwrap(), account, CLIENT)
    };

    let mailed = accounts
        .create_invite(admin.id, invite(Some("carol@example.com")))
        .await
        .unwrap();
    assert!(mailed.emailed);
    join(&mailed.token, "carol@example.com").await.unwrap();
    assert!(verified(&db, "carol@example.com").await);

    // A plain link: whoever follows it chooses the address, which is then asked to confirm.
    let open = accounts
        .create_invite(admin.id, invite(None))
        .await
        .unwrap();
    assert!(!open.emailed);
    join(&open.token, "dan@example.com").await.unwrap();
    assert!(!verified(&db, "dan@example.com").await);
    let mail = queued(&db).await;
    assert_eq!(mail.len(), 2, "{mail:?}");
    assert_eq!(mail[0].0, "carol@example.com");
    assert_eq!(mail[1].0, "dan@example.com");
    let token = Token::parse(&link_in(
        &mail[1].1,
        "https://maps.example.com/login?verify=",
    ))
    .unwrap();

    // Unverified, Dan's invitations by email are links to pass on, not mail.
    let dan = db
        .read(|conn| server::db::accounts::user_by_email(conn, "dan@example.com"))
        .await
        .unwrap()
        .unwrap()
        .0;
    let by_dan = accounts
        .create_invite(dan.id, invite(Some("erin@example.com")))
        .await
        .unwrap();
    assert!(!by_dan.emailed);
    assert_eq!(queued(&db).await.len(), 2);

    assert_eq!(
        accounts.confirm_email(token.clone()).await.unwrap(),
        "dan@example.com"
    );
    assert!(verified(&db, "dan@example.com").await);
    assert!(
        accounts.confirm_email(token).await.is_err(),
        "a used verification link worked again"
    );
    let by_dan = accounts
        .create_invite(dan.id, invite(Some("erin@example.com")))
        .await
        .unwrap();
    assert!(by_dan.emailed);
}
