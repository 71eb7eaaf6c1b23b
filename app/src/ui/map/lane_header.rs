//! A lane's row header: name, kind, and controls to move or delete it.

use leptos::ev::DragEvent;
use leptos::prelude::*;

use crate::domain::edit::Edit;
use crate::domain::map::LaneKind;
use crate::domain::map::Target;
use crate::domain::moves::move_lane;
use crate::domain::protocol::Focus;
use crate::domain::text::Name;
use crate::ui::editor::{use_editor, Dragged};
use crate::ui::erase::Erase;
use crate::ui::icons::{Icon, IconButton};
use crate::ui::inline_text::InlineText;
use crate::ui::map::card_view::report_focus;
use crate::ui::map::comments_panel::CommentButton;
use crate::ui::map::delete_button::DeleteButton;
use crate::ui::map::layout::LaneRow;

#[component]
pub fn LaneHeader(row: LaneRow, count: Signal<usize>) -> impl IntoView {
    let editor = use_editor();
    let LaneRow { lane, index, .. } = row.clone();
    let id = lane.id;
    let name = lane.name.to_string();
    let rows = 1 + usize::from(row.has_curve);
    let rename = Callback::new(move |raw: String| match Name::parse(&raw) {
        Ok(name) => editor.edit(Edit::RenameLane { id, name }),
        Err(err) => editor.notice.set(Some(format!("Lane not renamed: {err}."))),
    });
    let shift = move |delta: isize| {
        let Some(to) = index.checked_add_signed(delta) else {
            return;
        };
        if let Some(edit) = editor.map.with_untracked(|m| move_lane(m, id, to)) {
            editor.edit(edit);
        }
    };
    let card_count = move || {
        editor
            .map
            .with(|m| m.cards().iter().filter(|c| c.lane == id).count())
    };
    let drop_target = RwSignal::new(false);
    let editing = RwSignal::new(false);
    report_focus(editor, editing, Focus::Lane(id));
    let controls = editor.shows_controls();

    view! {
        <div
            class="lane-header"
            class:drop-target=move || drop_target.get()
            data-kind=lane.kind.key()
            style=format!("grid-row: {} / span {rows}; grid-column: 1", row.first_row)
            draggable=controls.then_some("true")
            on:dragstart=move |ev: DragEvent| {
                editor.dragging.set(Some(Dragged::Lane(id)));
                if let Some(data) = ev.data_transfer() {
                    let _ = data.set_data("text/plain", &id.to_string());
                    data.set_effect_allowed("move");
                }
            }
            on:dragend=move |_| editor.dragging.set(None)
            on:dragover=move |ev: DragEvent| {
                if matches!(editor.dragging.get_untracked(), Some(Dragged::Lane(_))) {
                    ev.prevent_default();
                    drop_target.set(true);
                }
            }
            on:dragleave=move |_| drop_target.set(false)
            on:drop=move |ev: DragEvent| {
                drop_target.set(false);
                if let Some(Dragged::Lane(dragged)) = editor.dragging.get_untracked() {
                    ev.prevent_default();
                    editor.dragging.set(None);
                    if let Some(edit) = editor.map.with_untracked(|m| move_lane(m, dragged, index)) {
                        editor.edit(edit);
                    }
                }
            }
        >
            <h3 class="lane-name">
                <InlineText value=Signal::stored(name.clone()) label="Lane name" on_commit=rename editing/>
            </h3>
            {if controls { view! {
            <select
                class="lane-kind"
                aria-label=format!("Type of lane {name}")
                disabled=move || !editor.editable.get()
                on:change=move |ev| {
                    if let Some(kind) = LaneKind::from_key(&event_target_value(&ev)) {
                        editor.edit(Edit::SetLaneKind { id, kind });
                    }
                }
            >
                {LaneKind::ALL
                    .into_iter()
                    .map(|k| view! { <option value=k.key() selected=k == lane.kind>{k.label()}</option> })
                    .collect_view()}
            </select>
            <div class="header-controls edit-only">
                <IconButton
                    icon=Icon::Up
                    label=format!("Move lane {name} up")
                    disabled=Signal::derive(move || index == 0)
                    on_click=Callback::new(move |()| shift(-1))
                />
                <IconButton
                    icon=Icon::Down
                    label=format!("Move lane {name} down")
                    disabled=Signal::derive(move || index + 1 >= count.get())
                    on_click=Callback::new(move |()| shift(1))
                />
                <CommentButton target=Target::Lane(id)/>
                <DeleteButton
                    label=format!("Delete lane {name}")
                    contents=Signal::derive(card_count)
                    on_delete=Callback::new(move |()| editor.edit(Edit::RemoveLane { id }))
                />
            </div>
            }
            .erase() } else {
                view! { <span class="lane-kind">{lane.kind.label()}</span> }.erase()
            }}
        </div>
    }
}
