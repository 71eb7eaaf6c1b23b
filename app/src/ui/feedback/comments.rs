//! What customers wrote, in the touchpoint panel: the team's themes with their counts,
//! suggested keywords (which editors can track as themes) and lists of quotes.

use leptos::prelude::*;

use crate::api::feedback::{Quote, ThemeCount};
use crate::domain::edit::Edit;
use crate::domain::feedback::{FeedbackSettings, Theme};
use crate::domain::text::Name;
use crate::ui::editor::use_editor;
use crate::ui::format::date_time;

/// The team's themes with their counts, and suggested keywords that can become themes.
#[component]
pub(super) fn Themes(themes: Vec<ThemeCount>, suggested: Vec<(String, usize)>) -> impl IntoView {
    let editor = use_editor();
    let add_theme = move |keyword: String| {
        let (Ok(name), Ok(word)) = (Name::parse(&keyword), Name::parse(&keyword)) else {
            return;
        };
        let mut settings: FeedbackSettings = editor.map.with_untracked(|m| m.feedback.clone());
        if settings.themes.iter().any(|t| t.name == name) {
            return;
        }
        settings.themes.push(Theme {
            name,
            keywords: vec![word],
        });
        editor.edit(Edit::SetFeedbackSettings { settings });
    };
    view! {
        {(!themes.is_empty()).then(|| view! {
            <h3>"Themes"</h3>
            <ul class="themes">
                {themes.into_iter().map(|t| view! {
                    <li><span>{t.name}</span><span class="count">{t.comments}</span></li>
                }).collect_view()}
            </ul>
        })}
        {(!suggested.is_empty()).then(|| view! {
            <h3>"Suggested keywords"</h3>
            <ul class="keywords">
                {suggested.into_iter().map(|(keyword, n)| {
                    let word = keyword.clone();
                    view! {
                        <li>
                            <span>{keyword.clone()}</span>
                            <span class="count" title="comments mentioning it">{n}</span>
                            {editor.can_edit().then(|| view! {
                                <button type="button" class="link small" on:click=move |_| add_theme(word.clone())
                                    title="Track this keyword as a theme">"+ theme"</button>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        })}
    }
}

#[component]
pub(super) fn QuoteList(quotes: Vec<Quote>) -> impl IntoView {
    view! {
        <ul class="quotes">
            {quotes
                .into_iter()
                .map(|q| {
                    let mood = if q.sentiment <= -0.05 {
                        "negative"
                    } else if q.sentiment >= 0.05 {
                        "positive"
                    } else {
                        "neutral"
                    };
                    view! {
                        <li class=format!("quote {mood}")>
                            <blockquote>{q.text}</blockquote>
                            <small class="muted">{format!("{} · reads {mood}", date_time(q.at))}</small>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
}
