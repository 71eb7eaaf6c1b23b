//! Where things sit in the grid, shared by the grid and what it places (cells, lane headers,
//! the emotion curve), so that none of them needs the grid itself.

use std::collections::HashMap;

use leptos::prelude::*;

use crate::domain::ids::{LaneId, StageId};
use crate::domain::map::{Card, Lane};

/// Width of a stage column in CSS pixels; the emotion curve is drawn to the same scale.
pub const COLUMN_WIDTH: f64 = 248.0;

/// A lane and where it sits in the grid.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LaneRow {
    pub lane: Lane,
    pub index: usize,
    /// First grid row of the lane (row 1 holds the stage headers).
    pub first_row: usize,
    /// Emotion lanes draw a curve in their first row and hold cards in the second.
    pub has_curve: bool,
}

impl LaneRow {
    pub fn card_row(&self) -> usize {
        self.first_row + usize::from(self.has_curve)
    }
}

/// The cards of every cell, computed once per change of the map.
pub type Cells = Memo<HashMap<(StageId, LaneId), Vec<Card>>>;
