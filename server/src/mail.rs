//! Email over SMTP (`--smtp-url`): password resets and invitations, sent through a durable
//! outbox so that no request waits on a slow SMTP server and no message is lost to a restart.
//!
//! Whatever sends mail writes it to the outbox table (`db::mail::queue`) in the same
//! transaction as what the mail announces (the reset's token, the invitation), then wakes the
//! one delivery task (`delivery`), which sends each due message with lettre and deletes it once
//! the SMTP server has taken it. A message the server cannot take now (down, slow, a temporary
//! refusal) waits and is tried again, 5 seconds later and twice as long each time up to half an
//! hour, for up to three days; one refused for good (an address the server rejects) is dropped
//! with a warning in the log. Delivery is at least once: should Waymark stop between the SMTP
//! server taking a message and the outbox forgetting it, the message goes again at the next
//! start.
//!
//! Mail is off unless `--smtp-url` is set; then `--smtp-from` and `--public-url` (the links'
//! origin) are required, and the features that need mail say, when used, that it is off.

mod delivery;
pub mod letters;

use std::fmt;
use std::sync::Arc;

use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, Tokio1Executor};
use tokio::sync::Notify;

use crate::db::Db;

/// Why the mail settings cannot be used; said at start.
#[derive(Debug, thiserror::Error)]
pub enum MailConfigError {
    #[error("--smtp-url is not a usable SMTP address (smtp://host:port, smtp://host?tls=required, smtps://user:password@host): {0}")]
    Url(String),
    #[error("--smtp-url is set, so --smtp-from is needed too: the address mail comes from, e.g. \"Waymark <maps@example.com>\"")]
    NoFrom,
    #[error("--smtp-from {0:?} is not an address like \"Waymark <maps@example.com>\"")]
    From(String),
    #[error("--smtp-url is set, so --public-url is needed too: links in mail must say where Waymark is reached")]
    NoPublicUrl,
}

/// Checked mail settings. The SMTP address may hold credentials, so it is never printed.
#[derive(Clone)]
pub struct MailSettings {
    url: String,
    /// `host:port` of the SMTP server, for the log.
    server: String,
    from: Mailbox,
    /// `scheme://host[:port]` that links in mail point to.
    origin: String,
    /// How long notifications gather before they go as one mail (`server::notify`).
    digest_delay: std::time::Duration,
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("server", &self.server)
            .field("from", &self.from.to_string())
            .field("origin", &self.origin)
            .field("digest_delay", &self.digest_delay)
            .finish_non_exhaustive()
    }
}

impl MailSettings {
    /// Checks `url` (lettre's connection URL), `from` and the public `origin` links use.
    pub fn new(
        url: &str,
        from: Option<&str>,
        origin: Option<&str>,
    ) -> Result<MailSettings, MailConfigError> {
        // Building the transport checks the URL (scheme, `tls=`, credentials) and the TLS set-up.
        let _checked = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| MailConfigError::Url(e.to_string()))?;
        let server = server_of(url).to_owned();
        let from = from.ok_or(MailConfigError::NoFrom)?;
        let from = from
            .parse::<Mailbox>()
            .map_err(|_| MailConfigError::From(from.to_owned()))?;
        let origin = origin.ok_or(MailConfigError::NoPublicUrl)?.to_owned();
        Ok(MailSettings {
            url: url.to_owned(),
            server,
            from,
            origin,
            digest_delay: crate::notify::DEFAULT_DELAY,
        })
    }

    /// Notifications gather for `delay` before they go as one mail.
    pub fn with_digest_delay(self, delay: std::time::Duration) -> MailSettings {
        MailSettings {
            digest_delay: delay,
            ..self
        }
    }

    pub fn digest_delay(&self) -> std::time::Duration {
        self.digest_delay
    }

    /// The SMTP server, without credentials.
    pub fn server(&self) -> &str {
        &self.server
    }
}

/// `host[:port]` of an SMTP URL that lettre accepted: no scheme, credentials, path or query.
fn server_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

/// Queues mail and wakes its delivery. Cheap to clone.
#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    settings: MailSettings,
    wake: Notify,
}

impl Mailer {
    pub fn new(db: Db, settings: MailSettings) -> Mailer {
        Mailer {
            inner: Arc::new(Inner {
                db,
                settings,
                wake: Notify::new(),
            }),
        }
    }

    /// The absolute address of `path` (which starts with `/`) on this Waymark.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.inner.settings.origin)
    }

    pub fn settings(&self) -> &MailSettings {
        &self.inner.settings
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// Tells the delivery task that a message was queued (by `db::mail::queue`) and committed.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Starts delivering the outbox, with what earlier runs left in it first. Needs a tokio
    /// runtime; runs until the runtime stops.
    pub fn start(&self) -> tokio::task::JoinHandle<()> {
        tracing::info!(server = %self.inner.settings.server, "sending mail");
        tokio::spawn(delivery::run(self.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_need_a_sender_and_a_public_url_and_never_show_credentials() {
        let url = "smtps://mailer:s3cret@mail.example.com:465";
        let origin = Some("https://maps.example.com");
        let settings = MailSettings::new(url, Some("Waymark <maps@example.com>"), origin).unwrap();
        assert_eq!(settings.server(), "mail.example.com:465");
        assert!(!format!("{settings:?}").contains("s3cret"));
        assert!(matches!(
            MailSettings::new(url, None, origin),
            Err(MailConfigError::NoFrom)
        ));
        assert!(matches!(
            MailSettings::new(url, Some("maps@example.com"), None),
            Err(MailConfigError::NoPublicUrl)
        ));
        assert!(matches!(
            MailSettings::new(url, Some("not an address"), origin),
            Err(MailConfigError::From(_))
        ));
        for bad in [
            "http://mail.example.com",
            "smtp://mail.example.com?tls=sometimes",
            "mail",
        ] {
            assert!(
                matches!(
                    MailSettings::new(bad, Some("a@b.c"), origin),
                    Err(MailConfigError::Url(_))
                ),
                "{bad}"
            );
        }
        for good in [
            "smtp://127.0.0.1:2525",
            "smtp://mail.example.com?tls=required",
        ] {
            assert!(
                MailSettings::new(good, Some("a@b.c"), origin).is_ok(),
                "{good}"
            );
        }
    }
}
