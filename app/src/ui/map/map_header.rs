//! The map's title, scenario and goals.

use leptos::prelude::*;

use crate::domain::edit::Edit;
use crate::domain::text::{Name, Text, MAX_TEXT_CHARS};
use crate::ui::editor::use_editor;
use crate::ui::inline_text::InlineText;
use crate::ui::map::lineage::Breadcrumb;

#[component]
pub fn MapHeader() -> impl IntoView {
    let editor = use_editor();
    let title = Signal::derive(move || editor.map.with(|m| m.title.to_string()));
    let scenario = Signal::derive(move || editor.map.with(|m| m.scenario.to_string()));
    let goals = Signal::derive(move || editor.map.with(|m| m.goals.to_string()));
    let rename = Callback::new(move |raw: String| match Name::parse(&raw) {
        Ok(title) => editor.edit(Edit::RenameMap { title }),
        Err(err) => editor
            .notice
            .set(Some(format!("Title not changed: {err}."))),
    });
    let text_edit = move |make: fn(Text) -> Edit| {
        Callback::new(move |raw: String| match Text::parse(&raw) {
            Ok(text) => editor.edit(make(text)),
            Err(err) => editor.notice.set(Some(format!("Not changed: {err}."))),
        })
    };

    view! {
        <section class="map-header" aria-label="About this journey">
            <Breadcrumb/>
            <h1 class="map-title">
                <InlineText value=title label="Map title" on_commit=rename/>
            </h1>
            <div class="map-brief">
                <div class="brief-field">
                    <h2>"Scenario"</h2>
                    <InlineText
                        value=scenario
                        label="Scenario"
                        multiline=true
                        max_len=MAX_TEXT_CHARS
                        placeholder="What is the customer trying to do, and in what situation?"
                        on_commit=text_edit(|text| Edit::SetScenario { text })
                    />
                </div>
                <div class="brief-field">
                    <h2>"Goals"</h2>
                    <InlineText
                        value=goals
                        label="Goals"
                        multiline=true
                        max_len=MAX_TEXT_CHARS
                        placeholder="What should this map help the team decide?"
                        on_commit=text_edit(|text| Edit::SetGoals { text })
                    />
                </div>
            </div>
        </section>
    }
}
