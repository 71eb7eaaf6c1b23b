//! The frames the server writes to live connections, and how it saves work on them: an
//! `Applied` message is encoded once per commit for everyone on the map, and several waiting for
//! one connection are spliced into one frame without decoding them. Readers whose link does not
//! show the team's comments get the same revisions with the comment edits withheld.

use app::domain::edit::{Edit, Op};
use app::domain::protocol::ServerMsg;
use app::domain::sync::Logged;
use axum::extract::ws::{Message, Utf8Bytes};
use serde::Serialize;

/// `ServerMsg::Applied { log }` encoded without copying `log`.
pub fn applied_json(log: &[Logged]) -> serde_json::Result<String> {
    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Message<'a> {
        Applied { log: &'a [Logged] },
    }
    serde_json::to_string(&Message::Applied { log })
}

/// How `applied_json` begins and ends an `Applied` message (what `merge_applied` cuts off).
const APPLIED_HEAD: &str = r#"{"applied":{"log":["#;
const APPLIED_TAIL: &str = "]}}";

/// Whether `message` is an `Applied` message in the form `applied_json` writes.
pub fn is_applied(message: &str) -> bool {
    message.starts_with(APPLIED_HEAD) && message.ends_with(APPLIED_TAIL)
}

/// Encoded `Applied` messages as one (their logs joined in order), or `None` when any is not an
/// `Applied` message in the form `applied_json` writes.
pub fn merge_applied<'a, I>(messages: I) -> Option<String>
where
    I: IntoIterator<Item = &'a str>,
    I::IntoIter: Clone,
{
    let messages = messages.into_iter();
    // Sized once: under load the server joins many large messages for every connection.
    let mut merged = String::with_capacity(messages.clone().map(str::len).sum());
    merged.push_str(APPLIED_HEAD);
    for message in messages {
        let log = message
            .strip_prefix(APPLIED_HEAD)?
            .strip_suffix(APPLIED_TAIL)?;
        if log.is_empty() {
            continue;
        }
        if merged.len() > APPLIED_HEAD.len() {
            merged.push(',');
        }
        merged.push_str(log);
    }
    merged.push_str(APPLIED_TAIL);
    Some(merged)
}

/// Joins each run of `Applied` frames into one: a connection that fell a few commits behind
/// then sends (and its browser applies) one message instead of several.
pub fn join_applied(frames: Vec<Message>) -> Vec<Message> {
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

/// `log` as a reader who may not see comments receives it: same revisions, with every comment
/// edit replaced by `Edit::Withheld`. `None` when there is nothing to withhold.
pub fn without_comments(log: &[Logged]) -> Option<Vec<Logged>> {
    if !log.iter().any(|l| l.op.edit.is_about_comments()) {
        return None;
    }
    Some(
        log.iter()
            .map(|l| Logged {
                rev: l.rev,
                op: if l.op.edit.is_about_comments() {
                    Op {
                        id: l.op.id,
                        edit: Edit::Withheld,
                    }
                } else {
                    l.op.clone()
                },
            })
            .collect(),
    )
}

/// A server message as a text frame; `None` (logged) should encoding ever fail.
pub fn frame(msg: &ServerMsg) -> Option<Message> {
    match serde_json::to_string(msg) {
        Ok(json) => Some(Message::Text(json.into())),
        Err(err) => {
            tracing::error!(%err, "cannot encode a server message");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::ids::{OpId, Rev, StageId};
    use app::domain::text::Text;

    fn logged(rev: u64, edit: Edit) -> Logged {
        Logged {
            rev: Rev(rev),
            op: Op {
                id: OpId::from_uuid(uuid::Uuid::now_v7()),
                edit,
            },
        }
    }

    fn goals(rev: u64) -> Logged {
        logged(
            rev,
            Edit::SetGoals {
                text: Text::parse("Goals").unwrap(),
            },
        )
    }

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
    fn applied_is_encoded_the_same_either_way() {
        let log = vec![logged(
            3,
            Edit::RemoveStage {
                id: StageId::from_uuid(uuid::Uuid::nil()),
            },
        )];
        let whole = serde_json::to_string(&ServerMsg::Applied { log: log.clone() }).unwrap();
        assert_eq!(applied_json(&log).unwrap(), whole);

        let mut later = log.clone();
        later[0].rev = Rev(4);
        let both: Vec<_> = log.iter().chain(&later).cloned().collect();
        let (empty, later) = (applied_json(&[]).unwrap(), applied_json(&later).unwrap());
        let merged = merge_applied([whole.as_str(), empty.as_str(), later.as_str()]).unwrap();
        assert_eq!(
            serde_json::from_str::<ServerMsg>(&merged).unwrap(),
            ServerMsg::Applied { log: both }
        );
        assert_eq!(
            merge_applied([whole.as_str()]).as_deref(),
            Some(whole.as_str())
        );
        assert_eq!(merge_applied([whole.as_str(), r#""pong""#]), None);
        assert!(is_applied(&whole) && is_applied(&empty));
        assert!(!is_applied(r#""pong""#));
    }

    #[test]
    fn runs_of_applied_frames_are_sent_as_one() {
        let applied = |revs: std::ops::RangeInclusive<u64>| {
            let log: Vec<_> = revs.map(goals).collect();
            let frame = Message::Text(applied_json(&log).unwrap().into());
            (log, frame)
        };
        let ((one, a), (two, b), (three, c)) = (applied(1..=1), applied(2..=3), applied(4..=4));
        let pong = Message::Text(r#""pong""#.into());
        let frames = join_applied(vec![a, b, pong, c]);

        let expected_first = applied_json(&[one, two].concat()).unwrap();
        let expected_last = applied_json(&three).unwrap();
        assert_eq!(
            texts(&frames),
            [expected_first.as_str(), r#""pong""#, expected_last.as_str()]
        );
    }

    #[test]
    fn comment_edits_are_withheld_but_keep_their_revisions() {
        let comment = logged(
            2,
            Edit::RemoveComment {
                id: app::domain::ids::CommentId::from_uuid(uuid::Uuid::nil()),
            },
        );
        let log = vec![goals(1), comment.clone(), goals(3)];
        let shown = without_comments(&log).unwrap();
        let revs: Vec<u64> = shown.iter().map(|l| l.rev.0).collect();
        assert_eq!(revs, [1, 2, 3]);
        assert_eq!(shown[1].op.edit, Edit::Withheld);
        assert_eq!(shown[1].op.id, comment.op.id);
        assert_eq!(shown[0], log[0]);
        assert!(without_comments(&[goals(1)]).is_none());
    }
}
