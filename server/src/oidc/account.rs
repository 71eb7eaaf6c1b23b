//! Which Waymark account an email the provider vouched for signs in as. In order: the account
//! with that email; on a new installation, a first admin; the open invitations bound to that
//! email (they decide maps and roles); a plain account when the email's domain is allowed;
//! otherwise none.

use app::api::auth::User;
use app::domain::account::Email;
use app::domain::ids::{MapId, UserId};
use app::domain::text::Name;
use uuid::Uuid;

use crate::accounts::ServerAccounts;
use crate::clock::now_millis;
use crate::db::accounts as store;
use crate::db::StoreError;
use crate::secrets::{new_token, Priority};

/// How the account was found or made, for the audit log and where to go next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matched {
    Existing,
    FirstAdmin,
    /// Invitations bound to the email were accepted; the newest one's map, if it named one.
    Invited(Option<MapId>),
    AllowedDomain,
}

impl Matched {
    pub fn describe(self) -> &'static str {
        match self {
            Matched::Existing => "existing account",
            Matched::FirstAdmin => "new account: the first admin",
            Matched::Invited(_) => "new account: accepted an invitation",
            Matched::AllowedDomain => "new account: allowed domain",
        }
    }
}

/// The account `email` signs in as, found or made, or `None` when it has none and may not have
/// one made. Whatever is made is made in one transaction, so two sign-ins at once make one
/// account and use each invitation once.
pub async fn match_account(
    accounts: &ServerAccounts,
    email: &Email,
    name: Name,
    allowed_domains: &[String],
) -> Result<Option<(User, Matched)>, StoreError> {
    let lookup = email.to_string();
    let found = accounts
        .db
        .read(move |conn| store::user_by_email(conn, &lookup))
        .await?;
    if let Some((user, _)) = found {
        return Ok(Some((user, Matched::Existing)));
    }
    let domain = email.as_str().rsplit_once('@').map_or("", |(_, d)| d);
    let domain_allowed = allowed_domains.iter().any(|d| d == domain);
    // The first account administers Waymark, as with `/setup`: whoever comes first, but with
    // allowed domains only someone from one of them.
    let may_be_first = allowed_domains.is_empty() || domain_allowed;
    // The account needs a password hash; it gets one of a random secret nobody knows, made like
    // any other, so a password guess at it takes as long as at any account.
    let secret = new_token()?;
    let hash = accounts
        .passwords
        .hash(&secret, Priority::Clean)
        .await
        .map_err(|e| StoreError::internal(e.to_string()))?;
    let mut user = User {
        id: UserId::from_uuid(Uuid::new_v4()),
        email: email.to_string(),
        name: name.to_string(),
        is_admin: false,
    };
    accounts
        .db
        .writer()
        .write(move |conn| {
            // Looked up again in the writer: the account may have been made meanwhile.
            if let Some((user, _)) = store::user_by_email(conn, &user.email)? {
                return Ok(Some((user, Matched::Existing)));
            }
            let now = now_millis();
            let matched = if may_be_first && store::count_users(conn)? == 0 {
                user.is_admin = true;
                Matched::FirstAdmin
            } else {
                let invites = store::open_invites_for(conn, &user.email, now)?;
                if let Some((_, newest)) = invites.first() {
                    Matched::Invited(newest.map(|(map, _)| map))
                } else if domain_allowed {
                    Matched::AllowedDomain
                } else {
                    return Ok(None);
                }
            };
            store::insert_user(conn, &user, &hash, now)?;
            // Oldest first, so the newest invitation's role wins on a map two of them name.
            for (token_hash, offer) in store::open_invites_for(conn, &user.email, now)?
                .into_iter()
                .rev()
            {
                store::use_invite(conn, &token_hash, now)?;
                if let Some((map, role)) = offer {
                    store::set_member(conn, map, user.id, Some(role))?;
                }
            }
            Ok(Some((user, matched)))
        })
        .await
}

/// A display name for a new account: the provider's, else the email's local part.
pub fn display_name(given: Option<&str>, email: &Email) -> Name {
    given
        .and_then(|n| Name::parse(n).ok())
        .or_else(|| {
            let local = email.as_str().split('@').next().unwrap_or_default();
            Name::parse(local).ok()
        })
        .unwrap_or_else(Name::someone)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Db;
    use crate::rooms::Rooms;

    fn email(raw: &str) -> Email {
        Email::parse(raw).unwrap()
    }

    async fn invite(db: &Db, by: UserId, to: &str, hash: &str, expires_at: i64) {
        let (to, hash) = (to.to_owned(), hash.to_owned());
        db.writer()
            .write(move |conn| {
                store::insert_invite(
                    conn,
                    &store::NewInviteRow {
                        token_hash: &hash,
                        by,
                        offer: None,
                        email: Some(&to),
                        created_at: 0,
                        expires_at,
                    },
                )
            })
            .await
            .unwrap();
    }

    #[tokio::test]
    async fn emails_are_matched_to_accounts_then_invitations_then_allowed_domains() {
        let dir = tempfile::tempdir().unwrap();
        let (db, _) = Db::open(&dir.path().join("waymark.sqlite")).unwrap();
        let accounts = ServerAccounts::new(db.clone(), Rooms::new(db.clone()));
        let domains = ["corp.example".to_owned()];
        let domains = &domains[..];
        let sign_in = |raw: &str| {
            let (accounts, email) = (&accounts, email(raw));
            async move {
                match_account(accounts, &email, Name::someone(), domains)
                    .await
                    .unwrap()
            }
        };

        // Someone from elsewhere cannot be the first admin when domains are set.
        assert!(sign_in("sam@elsewhere.example").await.is_none());
        let (ada, how) = sign_in("ada@corp.example").await.unwrap();
        assert_eq!(how, Matched::FirstAdmin);
        assert!(ada.is_admin);
        let (again, how) = sign_in("ADA@corp.example").await.unwrap();
        assert_eq!((again.id, how), (ada.id, Matched::Existing));

        let (bo, how) = sign_in("bo@corp.example").await.unwrap();
        assert_eq!(how, Matched::AllowedDomain);
        assert!(!bo.is_admin);

        invite(&db, ada.id, "erin@partner.example", "live", i64::MAX).await;
        invite(&db, ada.id, "old@partner.example", "expired", 1).await;
        let (_, how) = sign_in("erin@partner.example").await.unwrap();
        assert_eq!(how, Matched::Invited(None));
        let used = db.read(|conn| store::invite(conn, "live")).await.unwrap();
        assert!(used.unwrap().used);
        assert!(sign_in("old@partner.example").await.is_none());
        assert!(sign_in("sam@elsewhere.example").await.is_none());
    }

    #[test]
    fn a_new_account_is_named_by_the_provider_or_by_its_email() {
        let ada = email("ada.l@corp.example");
        assert_eq!(display_name(Some("Ada L"), &ada).to_string(), "Ada L");
        assert_eq!(display_name(None, &ada).to_string(), "ada.l");
        assert_eq!(display_name(Some("  "), &ada).to_string(), "ada.l");
    }
}
