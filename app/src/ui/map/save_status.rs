//! Where the user's changes are: saved, saving, or waiting for the connection to come back.

use leptos::prelude::*;

use crate::ui::editor::{use_editor, Connection};
use crate::ui::erase::shown;
use crate::ui::format::count;

#[component]
pub fn SaveStatusView() -> impl IntoView {
    let editor = use_editor();
    let state = move || (editor.connection.get(), editor.unsaved.get());
    let not_saved = move || {
        editor.not_saved.get()
            && editor.unsaved.get() > 0
            && matches!(
                editor.connection.get(),
                Connection::Live | Connection::Connecting
            )
    };
    let class = move || match state() {
        _ if not_saved() => "save-status error",
        (Connection::Live, 0) | (Connection::ReadOnly, _) => "save-status saved",
        (Connection::Live | Connection::Connecting, _) => "save-status saving",
        (Connection::Offline { .. } | Connection::Closed { .. } | Connection::Ended(_), _) => {
            "save-status error"
        }
    };
    let text = move || match state() {
        (_, n) if not_saved() => format!(
            "Not saved — the server could not store {}; retrying",
            count(n, "change", "changes")
        ),
        (Connection::ReadOnly, _) => "Read-only".to_owned(),
        (Connection::Live, 0) => "All changes saved".to_owned(),
        (Connection::Live, _) => "Saving…".to_owned(),
        (Connection::Connecting, 0) => "Connecting…".to_owned(),
        (Connection::Connecting, n) => {
            format!("Connecting… {} to save", count(n, "change", "changes"))
        }
        (Connection::Offline { .. }, 0) => "Offline — reconnecting".to_owned(),
        (Connection::Offline { .. }, n) => format!(
            "Offline — {} kept, will be saved on reconnect",
            count(n, "change", "changes")
        ),
        (Connection::Closed { reason }, _) => format!("Disconnected: {reason}"),
        (Connection::Ended(why), _) => format!("Disconnected: {}", why.message()),
    };
    let detail = move || match editor.connection.get() {
        Connection::Offline { reason } | Connection::Closed { reason } => reason,
        _ => String::new(),
    };
    let offline = move || matches!(editor.connection.get(), Connection::Offline { .. });
    let closed = move || matches!(editor.connection.get(), Connection::Closed { .. });

    view! {
        <div class=class role="status" aria-live="polite" title=detail>
            <span class="dot" aria-hidden="true"></span>
            <span class="save-text">{text}</span>
            {shown(offline, move || view! {
                <button type="button" class="button small" on:click=move |_| editor.retry()>
                    "Retry now"
                </button>
            })}
            {shown(closed, || view! { <a class="button small" href="">"Reload"</a> })}
        </div>
    }
}
