//! Map reviews (`domain::review`): an owner sets how often a map is looked over; anyone who
//! may edit it marks it reviewed. Owners are reminded by email when it falls due
//! (`server::notify`).

use leptos::prelude::*;

use crate::api::error::AppError;
use crate::domain::ids::MapId;

/// Sets how many days pass between reviews of map `id`; empty (or "none") for no reviews.
#[server]
pub async fn set_review_interval(id: MapId, days: String) -> Result<(), AppError> {
    use crate::api::ctx::{authorize, backend};
    use crate::domain::access::Capability;
    use crate::domain::review::parse_interval;

    // Owners decide how a map is kept, as they decide who sees it.
    authorize(id, Capability::Share).await?;
    let days = parse_interval(&days).map_err(|message| AppError::Invalid {
        field: "days".into(),
        message,
    })?;
    backend()?.set_review_interval(id, days).await
}

/// Records that the caller reviewed map `id` now.
#[server]
pub async fn mark_reviewed(id: MapId) -> Result<(), AppError> {
    use crate::api::audit::Action;
    use crate::api::ctx::{authorize, backend, record, AuditEvent};
    use crate::domain::access::Capability;

    let (user, _) = authorize(id, Capability::Edit).await?;
    backend()?.mark_reviewed(id, user).await?;
    record(AuditEvent::by_caller(Action::MapReviewed).on_map(id)).await;
    Ok(())
}
