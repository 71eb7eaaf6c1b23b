//! The Journey panel's downloads: the funnel and path flows as a picture (SVG, PNG, PDF) or as
//! CSV, from the server's export route (`/maps/{id}/export/journey-{format}`), under the filter
//! the panel shows. Plain links, so the browser downloads them itself.

use std::fmt::Write;

use leptos::prelude::*;

use crate::api::feedback::Filter;
use crate::domain::time::format_day;
use crate::ui::editor::use_editor;
use crate::ui::map::scores::use_scores;

const FORMATS: [(&str, &str, &str); 4] = [
    ("svg", "SVG", "A picture, sharp at any size"),
    ("png", "PNG", "A picture for slides and chats"),
    ("pdf", "PDF", "For printing and sharing"),
    ("csv", "CSV", "The figures, for spreadsheets"),
];

#[component]
pub(super) fn Downloads() -> impl IntoView {
    let editor = use_editor();
    let scores = use_scores();
    let base = format!("/maps/{}/export/journey-", editor.id);
    // A share link's visitor has no account; the link is what lets them have the files.
    let share = editor.access.with_value(|a| a.share_token.clone());
    view! {
        <p class="journey-downloads">
            <span>"Download"</span>
            {FORMATS
                .into_iter()
                .map(|(format, label, hint)| {
                    let (base, share) = (base.clone(), share.clone());
                    let href = move || {
                        let query = scores.filter.with(|f| query(f, share.as_deref()));
                        format!("{base}{format}{query}")
                    };
                    view! { <a href=href download="" title=hint>{label}</a> }
                })
                .collect_view()}
        </p>
    }
}

/// The filter (and the share link) as the export route reads them: `?from=…&channel=…`, or
/// nothing when everything counts.
fn query(filter: &Filter, share: Option<&str>) -> String {
    let day = |d: Option<i64>| d.map(format_day);
    let pairs = [
        ("from", day(filter.from)),
        ("to", day(filter.to)),
        ("channel", filter.channel.clone()),
        ("segment", filter.segment.clone()),
        ("share", share.map(str::to_owned)),
    ];
    let mut query = String::new();
    for (key, value) in pairs {
        if let Some(value) = value {
            query.push(if query.is_empty() { '?' } else { '&' });
            query.push_str(key);
            query.push('=');
            encode_into(&mut query, &value);
        }
    }
    query
}

/// Percent-encodes all but RFC 3986's unreserved characters: a channel or segment is whatever
/// the events said ("web & app", "B2B/EU"), and must come back as it was.
fn encode_into(out: &mut String, value: &str) {
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            let _ = write!(out, "%{byte:02X}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::time::day_from_civil;

    #[test]
    fn the_filter_travels_in_the_query_encoded() {
        assert_eq!(query(&Filter::default(), None), "");
        let filter = Filter {
            from: day_from_civil(2026, 9, 1),
            to: day_from_civil(2026, 9, 30),
            channel: Some("web & app".into()),
            segment: Some("B2B/EU é".into()),
        };
        assert_eq!(
            query(&filter, Some("tok_en")),
            "?from=2026-09-01&to=2026-09-30&channel=web%20%26%20app&segment=B2B%2FEU%20%C3%A9&share=tok_en"
        );
        let only_segment = Filter {
            segment: Some("pro".into()),
            ..Filter::default()
        };
        assert_eq!(query(&only_segment, None), "?segment=pro");
    }
}
