//! The filter every feedback view shares: a date range, a channel and a segment.

use leptos::prelude::*;

use crate::api::feedback::parse_filter;
use crate::domain::time::format_day;
use crate::ui::erase::shown;
use crate::ui::map::scores::use_scores;

#[component]
pub fn FilterBar() -> impl IntoView {
    let scores = use_scores();
    let error = RwSignal::new(None::<String>);
    let current = move || scores.filter.get();
    let day = |d: Option<i64>| d.map(format_day).unwrap_or_default();
    let (from, to) = (
        RwSignal::new(day(current().from)),
        RwSignal::new(day(current().to)),
    );
    let channel = RwSignal::new(current().channel.unwrap_or_default());
    let segment = RwSignal::new(current().segment.unwrap_or_default());
    let apply = move || match parse_filter(
        &from.get_untracked(),
        &to.get_untracked(),
        &channel.get_untracked(),
        &segment.get_untracked(),
    ) {
        Ok(filter) => {
            error.set(None);
            scores.filter.set(filter);
        }
        Err(err) => error.set(Some(err.to_string())),
    };
    let clear = move |_| {
        for field in [from, to, channel, segment] {
            field.set(String::new());
        }
        apply();
    };
    let options = move |labels: Vec<String>, chosen: RwSignal<String>| {
        labels
            .into_iter()
            .map(|label| {
                let selected = chosen.get_untracked() == label;
                view! { <option value=label.clone() selected=selected>{label.clone()}</option> }
            })
            .collect_view()
    };
    let labels = move |pick: fn(&crate::api::feedback::MapFeedback) -> &Vec<String>| {
        scores
            .data
            .with(|d| d.as_ref().map(|d| pick(d).clone()).unwrap_or_default())
    };
    view! {
        <fieldset class="filter-bar">
            <legend>"Which answers"</legend>
            <label class="field">
                <span>"From"</span>
                <input type="date" prop:value=from on:change=move |ev| { from.set(event_target_value(&ev)); apply(); }/>
            </label>
            <label class="field">
                <span>"To"</span>
                <input type="date" prop:value=to on:change=move |ev| { to.set(event_target_value(&ev)); apply(); }/>
            </label>
            <label class="field">
                <span>"Channel"</span>
                <select on:change=move |ev| { channel.set(event_target_value(&ev)); apply(); }>
                    <option value="">"All channels"</option>
                    {move || options(labels(|d| &d.channels), channel)}
                </select>
            </label>
            <label class="field">
                <span>"Segment"</span>
                <select on:change=move |ev| { segment.set(event_target_value(&ev)); apply(); }>
                    <option value="">"All segments"</option>
                    {move || options(labels(|d| &d.segments), segment)}
                </select>
            </label>
            {shown(move || !current().is_everything(), move || view! {
                <button type="button" class="button small" on:click=clear>"All answers"</button>
            })}
            {move || error.get().map(|e| view! { <p class="notice error" role="alert">{e}</p> })}
        </fieldset>
    }
}
