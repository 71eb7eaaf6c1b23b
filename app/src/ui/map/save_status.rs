//! Where the user's changes are: saved, saving, or stuck (with a way to retry).

use leptos::prelude::*;

use crate::ui::editor::{use_editor, SaveStatus};

#[component]
pub fn SaveStatusView() -> impl IntoView {
    let editor = use_editor();
    let class = move || match editor.status.get() {
        SaveStatus::Saved => "save-status saved",
        SaveStatus::Saving => "save-status saving",
        SaveStatus::Retrying { .. } | SaveStatus::Failed { .. } => "save-status error",
    };
    let text = move || match editor.status.get() {
        SaveStatus::Saved => "All changes saved".to_owned(),
        SaveStatus::Saving => "Saving…".to_owned(),
        SaveStatus::Retrying { delay_secs, .. } => {
            format!("Not saved — retrying in {delay_secs}s")
        }
        SaveStatus::Failed { message } => format!("Not saved: {message}"),
    };
    let detail = move || match editor.status.get() {
        SaveStatus::Retrying { message, .. } => message,
        _ => String::new(),
    };
    let retryable = move || matches!(editor.status.get(), SaveStatus::Retrying { .. });

    view! {
        <div class=class role="status" aria-live="polite" title=detail>
            <span class="dot" aria-hidden="true"></span>
            <span class="save-text">{text}</span>
            <Show when=retryable>
                <button type="button" class="button small" on:click=move |_| editor.retry()>
                    "Retry now"
                </button>
            </Show>
        </div>
    }
}
