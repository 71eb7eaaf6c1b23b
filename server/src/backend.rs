//! The server's implementation of `app::api::ctx::Backend`: what server functions call.

use app::api::auth::User;
use app::api::ctx::{Backend, BackendFuture};
use app::api::error::AppError;
use app::api::history::{HistoryEntry, Version};
use app::api::landscape::Outline;
use app::api::maps::{MapSnapshot, MapSummary};
use app::domain::backlog::Triage;
use app::domain::beside::{Beside, SideEntry};
use app::domain::definitions::{LibraryChannel, MetricDefinition};
use app::domain::edit::Op;
use app::domain::hierarchy::MapLink;
use app::domain::ids::{CardId, LibraryId, MapId, PersonaId, Rev, UserId};
use app::domain::library::{LibraryPersona, PersonaLink};
use app::domain::targets::Target;
use app::domain::template::Template;
use app::domain::text::Name;
use uuid::Uuid;

use crate::clock::now_millis;
use crate::db::{Db, StoreError};
use crate::rooms::Rooms;

#[derive(Clone)]
pub struct ServerBackend {
    pub db: Db,
    pub rooms: Rooms,
}

/// Maps a storage failure to what the browser may know. Internal details are logged here, once.
pub fn app_error(err: StoreError) -> AppError {
    match err {
        StoreError::NotFound => AppError::NotFound,
        StoreError::Conflict(message) => AppError::Invalid {
            field: String::new(),
            message,
        },
        StoreError::Internal(detail) => {
            tracing::error!(%detail, "storage failure");
            AppError::Internal
        }
    }
}

impl ServerBackend {
    /// Creates a map from a template, owned by `owner` (none: only admins reach it).
    pub async fn create(
        &self,
        owner: Option<UserId>,
        template: Template,
        title: Option<Name>,
    ) -> Result<MapId, StoreError> {
        let id = MapId::from_uuid(Uuid::new_v4());
        let map = template.build(id, title, now_millis(), &mut Uuid::new_v4);
        self.db.insert_map(map, owner).await?;
        Ok(id)
    }
}

impl Backend for ServerBackend {
    fn list_maps(&self, user: &User) -> BackendFuture<'_, Vec<MapSummary>> {
        let visible_to = (!user.is_admin).then_some(user.id);
        Box::pin(async move { self.db.list_maps(visible_to).await.map_err(app_error) })
    }

    fn create_map(
        &self,
        owner: UserId,
        template: Template,
        title: Option<Name>,
    ) -> BackendFuture<'_, MapId> {
        Box::pin(async move {
            self.create(Some(owner), template, title)
                .await
                .map_err(app_error)
        })
    }

    fn duplicate_map(&self, owner: UserId, id: MapId, title: Name) -> BackendFuture<'_, MapId> {
        Box::pin(async move {
            let source = self.rooms.snapshot(id).await.map_err(app_error)?;
            let mut copy = source.map;
            let now = now_millis();
            copy.id = MapId::from_uuid(Uuid::new_v4());
            copy.title = title;
            copy.created_at = now;
            copy.updated_at = now;
            let new_id = copy.id;
            self.db
                .insert_map(copy, Some(owner))
                .await
                .map_err(app_error)?;
            Ok(new_id)
        })
    }

    /// Deletes the map; everyone following it is told (see `Rooms::delete`).
    fn delete_map(&self, id: MapId) -> BackendFuture<'_, ()> {
        Box::pin(async move { self.rooms.delete(id).await.map_err(app_error) })
    }

    fn load_map(&self, id: MapId) -> BackendFuture<'_, MapSnapshot> {
        Box::pin(async move { self.rooms.snapshot(id).await.map_err(app_error) })
    }

    fn apply(&self, id: MapId, op: Op, author: Name) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            let submitted = self
                .rooms
                .submit(id, vec![op], &author)
                .await
                .map_err(app_error)?;
            match submitted.rejected.into_iter().next() {
                Some(rejection) => Err(AppError::Invalid {
                    field: String::new(),
                    message: rejection.error.to_string(),
                }),
                None => Ok(()),
            }
        })
    }

    fn outline_of(&self, id: MapId) -> BackendFuture<'_, Outline> {
        Box::pin(async move {
            let committed = self.rooms.committed(id).await.map_err(app_error)?;
            let map = &committed.map;
            Ok(Outline {
                personas: map.personas().iter().map(|p| p.name.to_string()).collect(),
                stages: map
                    .stages()
                    .iter()
                    .map(|s| (s.id, s.name.to_string()))
                    .collect(),
            })
        })
    }

    fn persona_library(&self) -> BackendFuture<'_, (Vec<LibraryPersona>, Vec<PersonaLink>)> {
        Box::pin(async move { self.db.library().await.map_err(app_error) })
    }

    fn save_library_persona(&self, persona: LibraryPersona) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .save_library_persona(persona)
                .await
                .map_err(app_error)
        })
    }

    fn delete_library_persona(&self, id: LibraryId) -> BackendFuture<'_, ()> {
        Box::pin(async move { self.db.delete_library_persona(id).await.map_err(app_error) })
    }

    fn link_persona(&self, link: PersonaLink) -> BackendFuture<'_, ()> {
        Box::pin(async move { self.db.link_persona(link).await.map_err(app_error) })
    }

    fn unlink_persona(&self, map: MapId, persona: PersonaId) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .unlink_persona(map, persona)
                .await
                .map_err(app_error)
        })
    }

    fn links(&self) -> BackendFuture<'_, Vec<MapLink>> {
        Box::pin(async move { self.db.links().await.map_err(app_error) })
    }

    fn set_link(&self, link: MapLink) -> BackendFuture<'_, ()> {
        Box::pin(async move { self.db.set_link(link).await.map_err(app_error) })
    }

    fn metric_library(&self) -> BackendFuture<'_, Vec<MetricDefinition>> {
        Box::pin(async move { self.db.metric_library().await.map_err(app_error) })
    }

    fn metric_uses(&self) -> BackendFuture<'_, Vec<(LibraryId, MapId)>> {
        Box::pin(async move { self.db.metric_uses().await.map_err(app_error) })
    }

    fn save_metric(
        &self,
        metric: MetricDefinition,
        by: UserId,
        what: String,
    ) -> BackendFuture<'_, Vec<MapId>> {
        Box::pin(async move {
            let changed = self
                .db
                .save_metric(metric, by, what)
                .await
                .map_err(app_error)?;
            for map in &changed {
                self.rooms.refetch(*map);
            }
            Ok(changed)
        })
    }

    fn delete_metric(&self, id: LibraryId, by: UserId, what: String) -> BackendFuture<'_, ()> {
        Box::pin(async move { self.db.delete_metric(id, by, what).await.map_err(app_error) })
    }

    fn channel_library(&self) -> BackendFuture<'_, Vec<LibraryChannel>> {
        Box::pin(async move { self.db.channel_library().await.map_err(app_error) })
    }

    fn save_channel(&self, channel: LibraryChannel) -> BackendFuture<'_, ()> {
        Box::pin(async move { self.db.save_channel(channel).await.map_err(app_error) })
    }

    fn delete_channel(&self, id: LibraryId) -> BackendFuture<'_, ()> {
        Box::pin(async move { self.db.delete_channel(id).await.map_err(app_error) })
    }

    fn targets_of(&self, id: MapId) -> BackendFuture<'_, Vec<Target>> {
        Box::pin(async move { self.db.targets(id).await.map_err(app_error) })
    }

    fn change_beside(
        &self,
        map: MapId,
        after: Beside,
        by: UserId,
        what: String,
    ) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            let others = self
                .db
                .change_beside(map, after, by, what)
                .await
                .map_err(app_error)?;
            for shown_on in std::iter::once(map).chain(others) {
                self.rooms.refetch(shown_on);
            }
            Ok(())
        })
    }

    fn side_log(&self, map: MapId, limit: u32) -> BackendFuture<'_, Vec<(SideEntry, bool)>> {
        Box::pin(async move { self.db.side_log(map, limit).await.map_err(app_error) })
    }

    fn side_entry(&self, map: MapId, entry: i64) -> BackendFuture<'_, SideEntry> {
        Box::pin(async move { self.db.side_entry(map, entry).await.map_err(app_error) })
    }

    fn undo_beside(&self, map: MapId, entry: i64, by: UserId) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            let others = self
                .db
                .undo_beside(map, entry, by)
                .await
                .map_err(app_error)?;
            for shown_on in std::iter::once(map).chain(others) {
                self.rooms.refetch(shown_on);
            }
            Ok(())
        })
    }

    fn triage_of(&self, id: MapId) -> BackendFuture<'_, Vec<(CardId, Triage)>> {
        Box::pin(async move { self.db.triage_of(id).await.map_err(app_error) })
    }

    fn set_review_interval(&self, id: MapId, days: Option<u16>) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .set_review_interval(id, days)
                .await
                .map_err(app_error)
        })
    }

    fn mark_reviewed(&self, id: MapId, by: User) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .mark_reviewed(id, by.id, by.name)
                .await
                .map_err(app_error)
        })
    }

    fn history(
        &self,
        id: MapId,
        before: Option<Rev>,
        limit: usize,
    ) -> BackendFuture<'_, Vec<HistoryEntry>> {
        Box::pin(async move {
            // Checks the map exists, so an unknown one is a 404 rather than an empty list.
            let current = self.rooms.committed(id).await.map_err(app_error)?.rev;
            let before = before.unwrap_or(current.next());
            self.db.history(id, before, limit).await.map_err(app_error)
        })
    }

    fn map_at(&self, id: MapId, rev: Rev) -> BackendFuture<'_, MapSnapshot> {
        Box::pin(async move {
            let current = self.rooms.committed(id).await.map_err(app_error)?.rev;
            if rev > current {
                return Err(AppError::NotFound);
            }
            let map = self.db.map_at(id, rev).await.map_err(app_error)?;
            Ok(MapSnapshot { map, rev })
        })
    }

    fn name_version(
        &self,
        id: MapId,
        rev: Rev,
        name: Name,
        author: Name,
    ) -> BackendFuture<'_, Version> {
        Box::pin(async move {
            let version = Version {
                rev,
                name: name.to_string(),
                author: author.to_string(),
                created_at: now_millis(),
            };
            self.db.add_version(id, version).await.map_err(app_error)
        })
    }

    fn list_versions(&self, id: MapId) -> BackendFuture<'_, Vec<Version>> {
        Box::pin(async move {
            self.rooms.committed(id).await.map_err(app_error)?;
            self.db.versions(id).await.map_err(app_error)
        })
    }
}
