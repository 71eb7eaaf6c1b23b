//! The Journey panel's figures: what customers did on a map (journey analytics), under the same
//! filter as the feedback summaries. Events arrive elsewhere, through plain routes in the
//! `server` crate (`POST /api/v1/maps/{id}/events` and the CSV import).

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

use crate::api::error::AppError;
use crate::api::feedback::Filter;
use crate::domain::ids::MapId;
use crate::domain::journey::{Funnel, TouchFigures};

/// Everything the Journey panel shows: the funnel over the map's stages, and each touchpoint
/// someone reached with where they went next. (The map's page carries only the funnel, with
/// its summaries; the touchpoints' figures come with the panel.)
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JourneyFigures {
    pub funnel: Funnel,
    /// In the map's order of cards.
    pub touchpoints: Vec<TouchFigures>,
}

/// The map's journey figures under `filter`: for its members, or through a share link whose
/// owner chose to show the measured funnel.
#[server(input = Json)]
pub async fn get_journey(
    map: MapId,
    filter: Filter,
    share: Option<String>,
) -> Result<JourneyFigures, AppError> {
    use crate::api::ctx::feedback;
    use crate::api::feedback::may_read;
    if !may_read(map, share).await?.funnel {
        return Err(AppError::Forbidden);
    }
    feedback()?.journey(map, filter).await
}
