//! The map editor's components. Only `map_editor` creates the `Editor`; the others read it from
//! context and turn user gestures into `Edit`s.

pub mod card_view;
pub mod cell;
pub mod comments_panel;
pub mod delete_button;
pub mod emotion_curve;
pub mod feedback_filter;
pub mod grid;
pub mod history_panel;
pub mod lane_header;
pub mod layout;
pub mod lineage;
pub mod live;
pub mod map_editor;
pub mod map_header;
pub mod panel_state;
pub mod persona_panel;
pub mod presence;
pub mod save_status;
pub mod scores;
pub mod share_panel;
pub mod side_panel;
pub mod stage_header;
pub mod toolbar;
