//! The one task that empties the outbox: sends each due message, forgets it once the SMTP
//! server took it, and otherwise tries again later (see `mail` for the rules).

use std::time::Duration;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::clock::now_millis;
use crate::db::mail::{self as store, Queued};
use crate::mail::Mailer;

/// Messages read from the outbox at a time.
const BATCH: u32 = 20;
/// The first wait after a failed attempt; it doubles with each further failure…
const FIRST_RETRY: Duration = Duration::from_secs(5);
/// …up to this.
const LONGEST_RETRY: Duration = Duration::from_secs(30 * 60);
/// A message still not sent this long after it was queued is given up.
const GIVE_UP_AFTER: Duration = Duration::from_secs(3 * 24 * 3600);
/// The longest the task sleeps without looking at the outbox, wakes or not.
const IDLE: Duration = Duration::from_secs(60);
/// How long one conversation with the SMTP server may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// Longest error text kept with a message.
const MAX_ERROR_CHARS: usize = 500;

/// The wait before the next attempt after `failures` failed ones (at least 1).
pub fn retry_delay(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    FIRST_RETRY
        .saturating_mul(1 << doublings)
        .min(LONGEST_RETRY)
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

pub(super) async fn run(mailer: Mailer) {
    let settings = &mailer.inner.settings;
    let transport = match AsyncSmtpTransport::<Tokio1Executor>::from_url(&settings.url) {
        Ok(builder) => builder.timeout(Some(SMTP_TIMEOUT)).build(),
        Err(err) => {
            // Checked at start, so this cannot happen; if it did, mail waits in the outbox.
            tracing::error!(%err, "cannot set up the SMTP transport; mail stays queued");
            return;
        }
    };
    loop {
        let wait = match deliver_due(&mailer, &transport).await {
            Ok(wait) => wait,
            Err(err) => {
                tracing::error!(%err, "cannot read the mail outbox");
                FIRST_RETRY
            }
        };
        tokio::select! {
            () = mailer.inner.wake.notified() => {}
            () = tokio::time::sleep(wait) => {}
        }
    }
}

/// Sends what is due; returns how long to wait until something else falls due.
async fn deliver_due(
    mailer: &Mailer,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
) -> Result<Duration, crate::db::StoreError> {
    let db = &mailer.inner.db;
    loop {
        let now = now_millis();
        let due = db.read(move |conn| store::due(conn, now, BATCH)).await?;
        let full = due.len() == BATCH as usize;
        for queued in due {
            deliver(mailer, transport, queued).await?;
        }
        if !full {
            break;
        }
    }
    let next = db.read(store::next_due).await?;
    Ok(match next {
        Some(at) => Duration::from_millis(u64::try_from(at - now_millis()).unwrap_or(0)).min(IDLE),
        None => IDLE,
    })
}

/// One attempt at one message, and what the outbox keeps of it.
async fn deliver(
    mailer: &Mailer,
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    queued: Queued,
) -> Result<(), crate::db::StoreError> {
    let writer = mailer.inner.db.writer();
    let id = queued.id;
    let message = match message(&mailer.inner.settings.from, &queued) {
        Ok(message) => message,
        Err(why) => {
            tracing::warn!(id, %why, "dropping a message that cannot be written");
            return writer.write(move |conn| store::remove(conn, id)).await;
        }
    };
    match transport.send(message).await {
        Ok(_) => {
            tracing::debug!(id, "mail sent");
            writer.write(move |conn| store::remove(conn, id)).await
        }
        Err(err) if err.is_permanent() => {
            tracing::warn!(id, %err, "the SMTP server refused a message for good; dropping it");
            writer.write(move |conn| store::remove(conn, id)).await
        }
        Err(err) => {
            let now = now_millis();
            if now - queued.created_at > millis(GIVE_UP_AFTER) {
                tracing::error!(id, %err, "giving up on a message not sent in three days");
                return writer.write(move |conn| store::remove(conn, id)).await;
            }
            let failures = queued.attempts.saturating_add(1);
            let next = now + millis(retry_delay(failures));
            tracing::warn!(id, failures, %err, "could not send mail; trying again later");
            let error: String = err.to_string().chars().take(MAX_ERROR_CHARS).collect();
            writer
                .write(move |conn| store::retry_at(conn, id, next, &error))
                .await
        }
    }
}

/// The message as sent: from Waymark, to the one recipient, as text and HTML alternatives.
fn message(from: &Mailbox, queued: &Queued) -> Result<Message, String> {
    let letter = &queued.letter;
    let to: Mailbox = letter
        .to
        .parse()
        .map_err(|e| format!("bad recipient: {e}"))?;
    let mut builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(letter.subject.clone());
    if let Some(link) = &letter.unsubscribe {
        // RFC 8058: mail programs offer "unsubscribe" and POST to the link, no page needed.
        let header =
            |name, value: String| HeaderValue::new(HeaderName::new_from_ascii_str(name), value);
        builder = builder
            .raw_header(header("List-Unsubscribe", format!("<{link}>")))
            .raw_header(header(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            ));
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            letter.text.clone(),
            letter.html.clone(),
        ))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_half_an_hour() {
        assert_eq!(retry_delay(1), Duration::from_secs(5));
        assert_eq!(retry_delay(2), Duration::from_secs(10));
        assert_eq!(retry_delay(3), Duration::from_secs(20));
        assert_eq!(retry_delay(10), LONGEST_RETRY);
        assert_eq!(retry_delay(u32::MAX), LONGEST_RETRY);
        assert_eq!(retry_delay(0), FIRST_RETRY);
    }
}
