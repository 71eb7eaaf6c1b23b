//! A stage's column header: its name, and controls to move or delete it. Drag a header onto
//! another to reorder; the arrow buttons do the same from the keyboard.

use leptos::ev::DragEvent;
use leptos::prelude::*;

use crate::domain::edit::Edit;
use crate::domain::map::Stage;
use crate::domain::map::Target;
use crate::domain::moves::move_stage;
use crate::domain::protocol::Focus;
use crate::domain::text::Name;
use crate::ui::editor::{use_editor, Dragged};
use crate::ui::icons::{Icon, IconButton};
use crate::ui::inline_text::InlineText;
use crate::ui::map::card_view::report_focus;
use crate::ui::map::comments_panel::CommentButton;
use crate::ui::map::delete_button::DeleteButton;
use crate::ui::map::lineage::SubJourneys;
use crate::ui::map::scores::{StageFunnel, StageScore};

#[component]
pub fn StageHeader(stage: Stage, index: usize, count: Signal<usize>) -> impl IntoView {
    let editor = use_editor();
    let id = stage.id;
    let name = stage.name.to_string();
    let rename = Callback::new(move |raw: String| match Name::parse(&raw) {
        Ok(name) => editor.edit(Edit::RenameStage { id, name }),
        Err(err) => editor
            .notice
            .set(Some(format!("Stage not renamed: {err}."))),
    });
    let shift = move |delta: isize| {
        let Some(to) = index.checked_add_signed(delta) else {
            return;
        };
        if let Some(edit) = editor.map.with_untracked(|m| move_stage(m, id, to)) {
            editor.edit(edit);
        }
    };
    let card_count = move || {
        editor
            .map
            .with(|m| m.cards().iter().filter(|c| c.stage == id).count())
    };
    let drop_target = RwSignal::new(false);
    let editing = RwSignal::new(false);
    report_focus(editor, editing, Focus::Stage(id));
    let controls = editor.shows_controls();
    let on_drop = move |ev: DragEvent| {
        drop_target.set(false);
        if let Some(Dragged::Stage(dragged)) = editor.dragging.get_untracked() {
            ev.prevent_default();
            editor.dragging.set(None);
            if let Some(edit) = editor.map.with_untracked(|m| move_stage(m, dragged, index)) {
                editor.edit(edit);
            }
        }
    };

    view! {
        <div
            class="stage-header"
            class:drop-target=move || drop_target.get()
            style=format!("grid-row: 1; grid-column: {}", index + 2)
            draggable=controls.then_some("true")
            on:dragstart=move |ev: DragEvent| {
                editor.dragging.set(Some(Dragged::Stage(id)));
                if let Some(data) = ev.data_transfer() {
                    let _ = data.set_data("text/plain", &id.to_string());
                    data.set_effect_allowed("move");
                }
            }
            on:dragend=move |_| editor.dragging.set(None)
            on:dragover=move |ev: DragEvent| {
                if matches!(editor.dragging.get_untracked(), Some(Dragged::Stage(_))) {
                    ev.prevent_default();
                    drop_target.set(true);
                }
            }
            on:dragleave=move |_| drop_target.set(false)
            on:drop=on_drop
        >
            <span class="stage-number" aria-hidden="true">{index + 1}</span>
            <h2 class="stage-name">
                <InlineText value=Signal::stored(name.clone()) label="Stage name" on_commit=rename editing/>
            </h2>
            <div class="stage-score">
                <StageScore stage=id/>
            </div>
            <div class="stage-funnel-line">
                <StageFunnel stage=id/>
            </div>
            <SubJourneys stage=Some(id) card=None/>
            {controls.then(|| view! { <div class="header-controls edit-only">
                <IconButton
                    icon=Icon::Left
                    label=format!("Move stage {name} left")
                    disabled=Signal::derive(move || index == 0)
                    on_click=Callback::new(move |()| shift(-1))
                />
                <IconButton
                    icon=Icon::Right
                    label=format!("Move stage {name} right")
                    disabled=Signal::derive(move || index + 1 >= count.get())
                    on_click=Callback::new(move |()| shift(1))
                />
                <CommentButton target=Target::Stage(id)/>
                <DeleteButton
                    label=format!("Delete stage {name}")
                    contents=Signal::derive(card_count)
                    on_delete=Callback::new(move |()| editor.edit(Edit::RemoveStage { id }))
                />
            </div> })}
        </div>
    }
}
