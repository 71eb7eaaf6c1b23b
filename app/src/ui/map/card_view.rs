//! A card: its text, the fields its lane calls for, its evidence level, and keyboard moves
//! (Alt+arrows move it, Delete removes it).

use leptos::ev::{DragEvent, KeyboardEvent};
use leptos::prelude::*;
use leptos::wasm_bindgen::JsCast;

use crate::domain::edit::Edit;
use crate::domain::ids::CardId;
use crate::domain::map::{Card, Channel, Emotion, Evidence, LaneKind, Target};
use crate::domain::moves::{
    card_to_neighbour_lane, card_to_neighbour_stage, move_card, nudge_card,
};
use crate::domain::protocol::Focus;
use crate::domain::text::{Text, MAX_TEXT_CHARS};
use crate::ui::editor::{filter_shows, use_editor, use_editor_ref, Dragged, Editor};
use crate::ui::erase::Erase;
use crate::ui::icons::{Icon, IconButton};
use crate::ui::inline_text::InlineText;
use crate::ui::map::comments_panel::CommentButton;
use crate::ui::map::lineage::SubJourneys;
use crate::ui::map::panel_state::{use_side_panel, Panel};
use crate::ui::map::presence::{colour, peer_tag};
use crate::ui::map::scores::ScoreChip;
use crate::ui::options::optional_options;

#[component]
pub fn CardView(card: Card, kind: LaneKind) -> impl IntoView {
    let editor = use_editor();
    if !editor.shows_controls() {
        return view! { <FixedCard card kind/> }.erase();
    }
    // The closures below capture the one-word handle, not the editor itself (see `EditorRef`).
    let ed = use_editor_ref();
    let filter = editor.evidence_filter;
    let id = card.id;
    let evidence = card.evidence;
    let set_text = Callback::new(move |raw: String| match Text::parse(&raw) {
        Ok(text) => editor.edit(Edit::SetCardText { id, text }),
        Err(err) => editor.notice.set(Some(format!("Card not changed: {err}."))),
    });
    let drop_target = RwSignal::new(false);
    let editing = RwSignal::new(false);
    report_focus(editor, editing, Focus::Card(id));
    // Not a memo: a big map's cards would each hold one, and there is rarely anyone to find.
    let peer = move || ed.get().peer_on(Focus::Card(id));

    view! {
        <article
            id=format!("card-{id}")
            class="card"
            class:dimmed=move || !filter_shows(filter.get(), evidence)
            class:peer-editing=move || peer().is_some()
            style=move || peer().map(|p| format!("--peer: {}", colour(&p)))
            class:drop-target=move || drop_target.get()
            data-evidence=evidence.map(Evidence::key)
            tabindex="0"
            draggable="true"
            aria-keyshortcuts="Alt+ArrowLeft Alt+ArrowRight Alt+ArrowUp Alt+ArrowDown Delete"
            on:keydown=move |ev| on_card_key(ed.get(), id, &ev)
            on:dragstart=move |ev: DragEvent| {
                ev.stop_propagation();
                ed.get().dragging.set(Some(Dragged::Card(id)));
                if let Some(data) = ev.data_transfer() {
                    let _ = data.set_data("text/plain", &id.to_string());
                    data.set_effect_allowed("move");
                }
            }
            on:dragend=move |_| ed.get().dragging.set(None)
            on:dragover=move |ev: DragEvent| {
                if matches!(ed.get().dragging.get_untracked(), Some(Dragged::Card(c)) if c != id) {
                    ev.prevent_default();
                    ev.stop_propagation();
                    drop_target.set(true);
                }
            }
            on:dragleave=move |_| drop_target.set(false)
            on:drop=move |ev: DragEvent| {
                drop_target.set(false);
                let editor = ed.get();
                if let Some(Dragged::Card(dragged)) = editor.dragging.get_untracked() {
                    ev.prevent_default();
                    ev.stop_propagation();
                    editor.dragging.set(None);
                    let edit = editor.map.with_untracked(|m| {
                        let target = m.card(id)?;
                        move_card(m, dragged, target.stage, target.lane, Some(id))
                    });
                    if let Some(edit) = edit {
                        editor.edit(edit);
                    }
                }
            }
        >
            {peer_tag(peer)}
            <InlineText
                value=Signal::stored(card.text.to_string())
                label="Card text"
                multiline=true
                max_len=MAX_TEXT_CHARS
                placeholder="Empty card"
                class="card-text"
                on_commit=set_text
                editing
            />
            <SubJourneys stage=None card=Some(id)/>
            <footer class="card-meta">
                {(kind == LaneKind::Touchpoints).then(|| view! { <ChannelSelect id channel=card.channel/> })}
                {(kind == LaneKind::Touchpoints || card.survey.is_some()).then(|| view! { <FeedbackButton id/> })}
                {(kind == LaneKind::Emotions).then(|| view! { <EmotionSelect id emotion=card.emotion/> })}
                <EvidenceSelect id evidence/>
                <CommentButton target=Target::Card(id)/>
                <IconButton
                    icon=Icon::Trash
                    label="Delete card"
                    class="edit-only card-delete"
                    on_click=Callback::new(move |()| editor.edit(Edit::RemoveCard { id }))
                />
            </footer>
        </article>
    }
    .erase()
}

/// A card as a display-only map shows it: its text and fields as plain text, nothing to press.
#[component]
fn FixedCard(card: Card, kind: LaneKind) -> impl IntoView {
    let editor = use_editor();
    let evidence = card.evidence;
    let text = card.text.to_string();
    let emotion = card
        .emotion
        .map(|e| format!("{:+} {}", e.score(), e.label()));
    view! {
        <article
            id=format!("card-{}", card.id)
            class="card"
            class:dimmed=move || !editor.shows(evidence)
            data-evidence=evidence.map(Evidence::key)
        >
            <p class="inline-text card-text">{text}</p>
            <SubJourneys stage=None card=Some(card.id)/>
            <footer class="card-meta">
                {card.channel.map(|c| view! { <span class="chip channel">{c.label()}</span> })}
                {(kind == LaneKind::Touchpoints || card.survey.is_some()).then(|| view! { <ScoreChip card=card.id/> })}
                {(kind == LaneKind::Emotions).then_some(emotion).flatten().map(|e| view! { <span class="chip emotion">{e}</span> })}
                {evidence.map(|e| view! {
                    <span class="evidence">
                        <span class="evidence-marker" aria-hidden="true"></span>
                        <span class="chip evidence-select">{e.label()}</span>
                    </span>
                })}
            </footer>
        </article>
    }
}

/// Tells the others on the map while `editing` is set that this user is editing `focus`.
pub fn report_focus(editor: Editor, editing: RwSignal<bool>, focus: Focus) {
    Effect::new(move |was: Option<bool>| {
        let now = editing.get();
        if was.is_some_and(|was| was != now) {
            editor.set_focus(now.then_some(focus));
        }
        now
    });
}

/// Keyboard moves for a focused card. Keys pressed inside its fields are theirs, not the card's.
fn on_card_key(editor: Editor, id: CardId, ev: &KeyboardEvent) {
    let on_card = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|el| el.id() == format!("card-{id}"));
    if !on_card {
        return;
    }
    let edit =
        editor.map.with_untracked(
            |m| match (ev.key().as_str(), ev.alt_key(), ev.shift_key()) {
                ("ArrowLeft", true, _) => card_to_neighbour_stage(m, id, -1),
                ("ArrowRight", true, _) => card_to_neighbour_stage(m, id, 1),
                ("ArrowUp", true, false) => nudge_card(m, id, -1),
                ("ArrowDown", true, false) => nudge_card(m, id, 1),
                ("ArrowUp", true, true) => card_to_neighbour_lane(m, id, -1),
                ("ArrowDown", true, true) => card_to_neighbour_lane(m, id, 1),
                ("Delete" | "Backspace", false, _) => Some(Edit::RemoveCard { id }),
                _ => None,
            },
        );
    let Some(edit) = edit else { return };
    ev.prevent_default();
    let removing = matches!(edit, Edit::RemoveCard { .. });
    editor.edit(edit);
    if !removing {
        // The moved card is a new element; keep the keyboard focus on it.
        request_animation_frame(move || {
            if let Some(el) = document().get_element_by_id(&format!("card-{id}")) {
                if let Ok(el) = el.dyn_into::<web_sys::HtmlElement>() {
                    let _ = el.focus();
                }
            }
        });
    }
}

/// The touchpoint's score chip (once it has answers) and the button to its feedback panel.
#[component]
fn FeedbackButton(id: CardId) -> impl IntoView {
    let panel = use_side_panel();
    view! {
        <ScoreChip card=id/>
        <IconButton
            icon=Icon::Chart
            label="Feedback on this touchpoint"
            class="card-feedback"
            on_click=Callback::new(move |()| panel.toggle(Panel::Touchpoint(id)))
        />
    }
}

#[component]
fn ChannelSelect(id: CardId, channel: Option<Channel>) -> impl IntoView {
    let ed = use_editor_ref();
    let editable = ed.get().editable;
    let options = optional_options(
        "No channel",
        channel,
        Channel::ALL,
        Channel::key,
        Channel::label,
    );
    view! {
        <select
            class="chip channel"
            disabled=move || !editable.get()
            aria-label="Channel"
            on:change=move |ev| {
                let channel = Channel::from_key(&event_target_value(&ev));
                ed.get().edit(Edit::SetCardChannel { id, channel });
            }
            inner_html=options
        ></select>
    }
}

#[component]
fn EmotionSelect(id: CardId, emotion: Option<Emotion>) -> impl IntoView {
    let ed = use_editor_ref();
    let editable = ed.get().editable;
    let scores = (Emotion::MIN..=Emotion::MAX)
        .rev()
        .filter_map(|s| Emotion::new(s).ok());
    let options = optional_options(
        "No score",
        emotion,
        scores,
        |e| e.score().to_string(),
        |e| format!("{:+} {}", e.score(), e.label()),
    );
    view! {
        <select
            class="chip emotion"
            disabled=move || !editable.get()
            aria-label="Emotion"
            on:change=move |ev| {
                let emotion = event_target_value(&ev).parse::<i8>().ok().and_then(|s| Emotion::new(s).ok());
                ed.get().edit(Edit::SetCardEmotion { id, emotion });
            }
            inner_html=options
        ></select>
    }
}

#[component]
fn EvidenceSelect(id: CardId, evidence: Option<Evidence>) -> impl IntoView {
    let ed = use_editor_ref();
    let editable = ed.get().editable;
    let options = optional_options(
        "Evidence?",
        evidence,
        Evidence::ALL,
        Evidence::key,
        Evidence::label,
    );
    view! {
        <span class="evidence">
            <span class="evidence-marker" aria-hidden="true"></span>
            <select
                class="chip evidence-select"
                disabled=move || !editable.get()
                aria-label="Evidence"
                on:change=move |ev| {
                    let evidence = Evidence::from_key(&event_target_value(&ev));
                    ed.get().edit(Edit::SetCardEvidence { id, evidence });
                }
                inner_html=options
            ></select>
        </span>
    }
}
