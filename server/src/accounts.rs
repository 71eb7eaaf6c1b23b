//! The server's implementation of `app::api::ctx::Accounts`: accounts, sessions, roles,
//! invitations and share links, with guessing throttled.

use app::api::auth::User;
use app::api::ctx::{Accounts, BackendFuture};
use app::api::error::AppError;
use app::api::sharing::{Invitation, MapMember, NewInvite, NewShareLink, ShareLink};
use app::domain::access::{effective_role, Role, Standing};
use app::domain::ids::{LinkId, MapId, UserId};
use uuid::Uuid;

use crate::auth::{hash_password, hash_token, new_token, verify_password, Throttle};
use crate::backend::app_error;
use crate::clock::now_millis;
use crate::db::{accounts as store, Db, StoreError};
use crate::rooms::Rooms;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
/// How long a sign-in lasts.
const SESSION_DAYS: i64 = 30;
/// How long an invitation can be accepted.
const INVITE_DAYS: i64 = 7;
/// Failed attempts allowed per address, and per account, in the throttle's window.
const PER_ADDRESS: usize = 20;
const PER_ACCOUNT: usize = 8;

#[derive(Clone)]
pub struct ServerAccounts {
    pub db: Db,
    pub rooms: Rooms,
    pub throttle: Throttle,
}

fn days_from_now(days: i64) -> i64 {
    now_millis() + days * DAY_MS
}

impl ServerAccounts {
    async fn new_session(&self, user: UserId) -> Result<String, AppError> {
        let token = new_token().map_err(app_error)?;
        let hash = hash_token(&token);
        let (now, expires) = (now_millis(), days_from_now(SESSION_DAYS));
        self.db
            .writer()
            .write(move |conn| store::insert_session(conn, &hash, user, now, expires))
            .await
            .map_err(app_error)?;
        Ok(token)
    }

    /// Refuses when `keys` have failed too often recently.
    fn throttled(&self, keys: &[(&str, usize)]) -> Result<(), AppError> {
        for (key, limit) in keys {
            self.throttle
                .check(key, *limit)
                .map_err(AppError::TooManyRequests)?;
        }
        Ok(())
    }

    async fn create_account(
        &self,
        email: String,
        name: String,
        password: String,
        admin: bool,
    ) -> Result<User, AppError> {
        let hash = hash_password(password).await.map_err(app_error)?;
        let user = User {
            id: UserId::from_uuid(Uuid::new_v4()),
            email,
            name,
            is_admin: admin,
        };
        let stored = user.clone();
        self.db
            .writer()
            .write(move |conn| {
                if admin && store::count_users(conn)? > 0 {
                    return Err(StoreError::Conflict(
                        "Waymark is already set up; sign in instead".into(),
                    ));
                }
                store::insert_user(conn, &stored, &hash, now_millis())
            })
            .await
            .map_err(app_error)?;
        Ok(user)
    }

    /// The live link a share token names.
    async fn live_link(&self, token: &str) -> Result<store::LinkRow, AppError> {
        let hash = hash_token(token);
        let link = self
            .db
            .read(move |conn| store::share_link(conn, &hash))
            .await
            .map_err(app_error)?
            .ok_or(AppError::NotFound)?;
        let expired = link.expires_at.is_some_and(|at| at <= now_millis());
        if link.revoked || expired {
            return Err(AppError::NotFound);
        }
        Ok(link)
    }
}

impl Accounts for ServerAccounts {
    fn needs_setup(&self) -> BackendFuture<'_, bool> {
        Box::pin(async move {
            let users = self.db.read(store::count_users).await.map_err(app_error)?;
            Ok(users == 0)
        })
    }

    fn set_up(&self, email: String, name: String, password: String) -> BackendFuture<'_, String> {
        Box::pin(async move {
            let user = self.create_account(email, name, password, true).await?;
            self.new_session(user.id).await
        })
    }

    fn log_in(&self, email: String, password: String, client: String) -> BackendFuture<'_, String> {
        Box::pin(async move {
            let (by_address, by_account) = (format!("login:{client}"), format!("login:{email}"));
            self.throttled(&[(&by_address, PER_ADDRESS), (&by_account, PER_ACCOUNT)])?;
            let lookup = email.clone();
            let found = self
                .db
                .read(move |conn| store::user_by_email(conn, &lookup))
                .await
                .map_err(app_error)?;
            let (user, hash) = match found {
                Some((user, hash)) => (Some(user), Some(hash)),
                None => (None, None),
            };
            if !verify_password(password, hash).await {
                self.throttle.fail(&by_address);
                self.throttle.fail(&by_account);
                return Err(AppError::Invalid {
                    field: "password".into(),
                    message: "that email and password don't match an account".into(),
                });
            }
            self.throttle.forget(&by_account);
            let user = user.ok_or(AppError::Internal)?;
            self.new_session(user.id).await
        })
    }

    fn log_out(&self, session: String) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            let hash = hash_token(&session);
            self.db
                .writer()
                .write(move |conn| store::delete_session(conn, &hash))
                .await
                .map_err(app_error)
        })
    }

    fn change_password(
        &self,
        user: UserId,
        current: String,
        new: String,
    ) -> BackendFuture<'_, String> {
        Box::pin(async move {
            let key = format!("password:{user}");
            self.throttled(&[(&key, PER_ACCOUNT)])?;
            let hash = self
                .db
                .read(move |conn| store::password_hash(conn, user))
                .await
                .map_err(app_error)?;
            if !verify_password(current, Some(hash)).await {
                self.throttle.fail(&key);
                return Err(AppError::Invalid {
                    field: "current".into(),
                    message: "the current password is not right".into(),
                });
            }
            let hash = hash_password(new).await.map_err(app_error)?;
            self.db
                .writer()
                .write(move |conn| store::set_password(conn, user, &hash))
                .await
                .map_err(app_error)?;
            self.new_session(user).await
        })
    }

    fn role(&self, user: &User, map: MapId) -> BackendFuture<'_, Option<Role>> {
        let (user_id, admin) = (user.id, user.is_admin);
        Box::pin(async move {
            let (member, exists) = self
                .db
                .read(move |conn| {
                    let exists: bool = conn.query_row(
                        "SELECT EXISTS (SELECT 1 FROM maps WHERE id = ?1)",
                        [map.to_string()],
                        |r| r.get(0),
                    )?;
                    Ok((store::member_role(conn, map, user_id)?, exists))
                })
                .await
                .map_err(app_error)?;
            if !exists {
                return Ok(None);
            }
            Ok(effective_role(Standing {
                admin,
                member,
                share_link: false,
            }))
        })
    }

    fn users(&self) -> BackendFuture<'_, Vec<User>> {
        Box::pin(async move { self.db.read(store::users).await.map_err(app_error) })
    }

    fn remove_user(&self, user: UserId) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .writer()
                .write(move |conn| store::delete_user(conn, user))
                .await
                .map_err(app_error)
        })
    }

    fn set_admin(&self, user: UserId, admin: bool) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .writer()
                .write(move |conn| store::set_admin(conn, user, admin))
                .await
                .map_err(app_error)
        })
    }

    fn create_invite(
        &self,
        by: UserId,
        offer: Option<(MapId, Role)>,
    ) -> BackendFuture<'_, NewInvite> {
        Box::pin(async move {
            let token = new_token().map_err(app_error)?;
            let hash = hash_token(&token);
            let (now, expires_at) = (now_millis(), days_from_now(INVITE_DAYS));
            self.db
                .writer()
                .write(move |conn| store::insert_invite(conn, &hash, by, offer, now, expires_at))
                .await
                .map_err(app_error)?;
            Ok(NewInvite { token, expires_at })
        })
    }

    fn invite_info(&self, token: String) -> BackendFuture<'_, Invitation> {
        Box::pin(async move {
            let hash = hash_token(&token);
            let invite = self
                .db
                .read(move |conn| store::invite(conn, &hash))
                .await
                .map_err(app_error)?
                .filter(|i| !i.used && i.expires_at > now_millis())
                .ok_or(AppError::NotFound)?;
            Ok(Invitation {
                invited_by: invite.invited_by,
                map_title: invite.map_title,
                role: invite.role,
                expires_at: invite.expires_at,
            })
        })
    }

    fn accept_invite(
        &self,
        token: String,
        email: String,
        name: String,
        password: String,
        client: String,
    ) -> BackendFuture<'_, (String, Option<MapId>)> {
        Box::pin(async move {
            let by_address = format!("invite:{client}");
            self.throttled(&[(&by_address, PER_ADDRESS)])?;
            let token_hash = hash_token(&token);
            let lookup = token_hash.clone();
            let invite = self
                .db
                .read(move |conn| store::invite(conn, &lookup))
                .await
                .map_err(app_error)?
                .filter(|i| !i.used && i.expires_at > now_millis());
            let Some(invite) = invite else {
                self.throttle.fail(&by_address);
                return Err(AppError::NotFound);
            };
            let hash = hash_password(password).await.map_err(app_error)?;
            let user = User {
                id: UserId::from_uuid(Uuid::new_v4()),
                email,
                name,
                is_admin: false,
            };
            let offer = invite.map.zip(invite.role);
            let stored = user.clone();
            // One transaction: the invitation is used exactly once, with the account it made.
            self.db
                .writer()
                .write(move |conn| {
                    let now = now_millis();
                    store::use_invite(conn, &token_hash, now)?;
                    store::insert_user(conn, &stored, &hash, now)?;
                    if let Some((map, role)) = offer {
                        store::set_member(conn, map, stored.id, Some(role))?;
                    }
                    Ok(())
                })
                .await
                .map_err(app_error)?;
            let session = self.new_session(user.id).await?;
            Ok((session, invite.map))
        })
    }

    fn map_members(&self, map: MapId) -> BackendFuture<'_, Vec<MapMember>> {
        Box::pin(async move {
            self.db
                .read(move |conn| store::members(conn, map))
                .await
                .map_err(app_error)
        })
    }

    fn add_member(&self, map: MapId, email: String, role: Role) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .writer()
                .write(move |conn| {
                    let (user, _) = store::user_by_email(conn, &email)?.ok_or_else(|| {
                        StoreError::Conflict(
                            "nobody with that email has an account yet; send them an invitation"
                                .into(),
                        )
                    })?;
                    store::set_member(conn, map, user.id, Some(role))
                })
                .await
                .map_err(app_error)
        })
    }

    fn set_member_role(
        &self,
        map: MapId,
        user: UserId,
        role: Option<Role>,
    ) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            self.db
                .writer()
                .write(move |conn| store::set_member(conn, map, user, role))
                .await
                .map_err(app_error)
        })
    }

    fn share_links(&self, map: MapId) -> BackendFuture<'_, Vec<ShareLink>> {
        Box::pin(async move {
            let now = now_millis();
            self.db
                .read(move |conn| store::share_links(conn, map, now))
                .await
                .map_err(app_error)
        })
    }

    fn create_share_link(
        &self,
        map: MapId,
        by: UserId,
        label: String,
        days: Option<u32>,
        password: Option<String>,
    ) -> BackendFuture<'_, NewShareLink> {
        Box::pin(async move {
            let token = new_token().map_err(app_error)?;
            let token_hash = hash_token(&token);
            let password_hash = match password {
                Some(password) => Some(hash_password(password).await.map_err(app_error)?),
                None => None,
            };
            let link = ShareLink {
                id: LinkId::from_uuid(Uuid::new_v4()),
                label,
                expires_at: days.map(|d| days_from_now(i64::from(d))),
                has_password: password_hash.is_some(),
                created_at: now_millis(),
            };
            let stored = link.clone();
            self.db
                .writer()
                .write(move |conn| {
                    store::insert_share_link(
                        conn,
                        map,
                        &token_hash,
                        &stored,
                        password_hash.as_deref(),
                        by,
                    )
                })
                .await
                .map_err(app_error)?;
            Ok(NewShareLink { link, token })
        })
    }

    fn revoke_share_link(&self, map: MapId, link: LinkId) -> BackendFuture<'_, ()> {
        Box::pin(async move {
            let now = now_millis();
            self.db
                .writer()
                .write(move |conn| store::revoke_share_link(conn, map, link, now))
                .await
                .map_err(app_error)?;
            // Whoever follows the map through this link right now is disconnected.
            self.rooms.revoke_link(map, link);
            Ok(())
        })
    }

    fn open_share(
        &self,
        token: String,
        grant: Option<String>,
    ) -> BackendFuture<'_, (MapId, LinkId)> {
        Box::pin(async move {
            let link = self.live_link(&token).await?;
            if link.password_hash.is_some() {
                let granted = match grant {
                    Some(grant) => {
                        let (hash, id, now) = (hash_token(&grant), link.id, now_millis());
                        self.db
                            .read(move |conn| store::has_share_grant(conn, &hash, id, now))
                            .await
                            .map_err(app_error)?
                    }
                    None => false,
                };
                if !granted {
                    return Err(AppError::Unauthenticated);
                }
            }
            Ok((link.map, link.id))
        })
    }

    fn unlock_share(
        &self,
        token: String,
        password: String,
        client: String,
    ) -> BackendFuture<'_, String> {
        Box::pin(async move {
            let by_address = format!("share:{client}");
            self.throttled(&[(&by_address, PER_ADDRESS)])?;
            let link = self.live_link(&token).await?;
            if !verify_password(password, link.password_hash.clone()).await {
                self.throttle.fail(&by_address);
                return Err(AppError::Invalid {
                    field: "password".into(),
                    message: "that password is not right".into(),
                });
            }
            let grant = new_token().map_err(app_error)?;
            let (hash, id, expires) = (hash_token(&grant), link.id, days_from_now(SESSION_DAYS));
            self.db
                .writer()
                .write(move |conn| store::insert_share_grant(conn, &hash, id, expires))
                .await
                .map_err(app_error)?;
            Ok(grant)
        })
    }
}
