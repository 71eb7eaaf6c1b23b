//! The server side of the server functions: the `Backend` port they call. The `server` crate
//! implements it over SQLite and the map rooms, and provides it as Leptos context per request.
//! Everything here but `respond_not_found` exists only in the server build.

#[cfg(feature = "ssr")]
pub use server_only::*;

/// Marks the response being rendered as "404 Not Found". Does nothing in the browser.
pub fn respond_not_found() {
    #[cfg(feature = "ssr")]
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
}

#[cfg(feature = "ssr")]
mod server_only {
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::Arc;

    use leptos::prelude::use_context;

    use crate::api::error::AppError;
    use crate::api::history::{HistoryEntry, Version};
    use crate::api::maps::{MapSnapshot, MapSummary, SyncReply};
    use crate::domain::edit::Op;
    use crate::domain::ids::{MapId, Rev};
    use crate::domain::template::Template;
    use crate::domain::text::Name;

    pub type BackendFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, AppError>> + Send + 'a>>;

    /// What the server functions need from the server. Implementations log internal failures once
    /// and return `AppError::Internal` for them.
    pub trait Backend: Send + Sync + 'static {
        /// Every map, most recently edited first.
        fn list_maps(&self) -> BackendFuture<'_, Vec<MapSummary>>;
        fn create_map(&self, template: Template, title: Option<Name>) -> BackendFuture<'_, MapId>;
        fn duplicate_map(&self, id: MapId, title: Name) -> BackendFuture<'_, MapId>;
        fn delete_map(&self, id: MapId) -> BackendFuture<'_, ()>;
        fn load_map(&self, id: MapId) -> BackendFuture<'_, MapSnapshot>;
        /// Applies `ops` in order, each at most once, and commits them before returning. The reply
        /// carries the map's log after `since` (when given) and the operations refused.
        fn sync_map(
            &self,
            id: MapId,
            since: Option<Rev>,
            ops: Vec<Op>,
        ) -> BackendFuture<'_, SyncReply>;
        /// Up to `limit` changes before `before` (or the newest), newest first.
        fn history(
            &self,
            id: MapId,
            before: Option<Rev>,
            limit: usize,
        ) -> BackendFuture<'_, Vec<HistoryEntry>>;
        /// The map right after revision `rev`; `NotFound` past the current revision.
        fn map_at(&self, id: MapId, rev: Rev) -> BackendFuture<'_, MapSnapshot>;
        fn name_version(
            &self,
            id: MapId,
            rev: Rev,
            name: Name,
            author: String,
        ) -> BackendFuture<'_, Version>;
        fn list_versions(&self, id: MapId) -> BackendFuture<'_, Vec<Version>>;
    }

    /// The backend as Leptos context.
    #[derive(Clone)]
    pub struct ServerCtx(pub Arc<dyn Backend>);

    /// The backend for this request.
    pub fn backend() -> Result<Arc<dyn Backend>, AppError> {
        use_context::<ServerCtx>().map(|ctx| ctx.0).ok_or_else(|| {
            tracing::error!("server function called without a ServerCtx in context");
            AppError::Internal
        })
    }
}
