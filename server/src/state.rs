//! The state every handler and middleware shares: the storage-backed services, the live rooms,
//! and the site's settings from the configuration.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::accounts::ServerAccounts;
use crate::backend::ServerBackend;
use crate::feedback::ServerFeedback;
use crate::hub::LiveLimits;
use crate::journey::ServerJourney;
use crate::mail::Mailer;
use crate::places::Places;
use crate::proxies::TrustedProxies;
use crate::rooms::Rooms;

/// Most requests in flight at once, from everyone together…
pub const MAX_IN_FLIGHT: usize = 1024;
/// …and from one address (see `auth::limit_in_flight`).
pub const MAX_IN_FLIGHT_PER_ADDRESS: usize = 64;

/// How the site is reached, from the configuration.
#[derive(Clone, Debug, Default)]
pub struct SiteConfig {
    /// `scheme://host[:port]` the site is served at, when set; requests claiming another
    /// origin are refused. Unset, the request's own `Host` is trusted.
    pub public_origin: Option<String>,
    /// Mark cookies `Secure` (the public origin is HTTPS).
    pub secure_cookies: bool,
    /// Origins allowed to show `/embed/…` pages in a frame.
    pub embed_origins: Vec<String>,
    /// The reverse proxies whose `Forwarded` and `X-Forwarded-For` headers name the client.
    pub trusted_proxies: TrustedProxies,
    /// Single sign-on through an OpenID provider, when configured.
    pub sso: Option<crate::oidc::Settings>,
    /// How to send mail, when `--smtp-url` is set (see `mail`).
    pub mail: Option<crate::mail::MailSettings>,
}

/// What every request may reach, made once at start. Handlers and middleware take it as
/// `State<AppState>`, or one of its parts through `FromRef`.
pub struct Shared {
    pub leptos_options: LeptosOptions,
    pub backend: ServerBackend,
    pub accounts: ServerAccounts,
    pub feedback: ServerFeedback,
    pub journey: ServerJourney,
    pub rooms: Rooms,
    pub live_limits: LiveLimits,
    pub site: Arc<SiteConfig>,
    /// Requests in flight, per address and in all.
    pub in_flight: Places,
    /// Single sign-on, when configured (`SiteConfig::sso`).
    pub sso: Option<Arc<crate::oidc::Sso>>,
}

impl Shared {
    pub fn new(leptos_options: LeptosOptions, backend: ServerBackend, site: SiteConfig) -> Shared {
        let sso = site
            .sso
            .clone()
            .and_then(|settings| match crate::oidc::Sso::new(settings) {
                Ok(sso) => Some(Arc::new(sso)),
                // `config` checked the settings already; this is the HTTP client failing to build.
                Err(err) => {
                    tracing::error!(%err, "single sign-on is off: it cannot start");
                    None
                }
            });
        Shared {
            sso,
            leptos_options,
            accounts: ServerAccounts::new(backend.db.clone(), backend.rooms.clone()).with_mail(
                site.mail
                    .clone()
                    .map(|settings| Mailer::new(backend.db.clone(), settings)),
            ),
            feedback: ServerFeedback::new(backend.db.clone(), backend.rooms.clone()),
            journey: ServerJourney::new(backend.db.clone(), backend.rooms.clone()),
            rooms: backend.rooms.clone(),
            backend,
            live_limits: LiveLimits::default(),
            site: Arc::new(site),
            in_flight: Places::new(MAX_IN_FLIGHT, MAX_IN_FLIGHT_PER_ADDRESS),
        }
    }
}

/// The state behind one pointer: every middleware and handler of every request takes a copy,
/// and copying the parts themselves (each a handful of reference counts) was a third of the
/// server's work under a flood of small requests.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(
        leptos_options: LeptosOptions,
        backend: ServerBackend,
        site: SiteConfig,
    ) -> AppState {
        Shared::new(leptos_options, backend, site).into()
    }
}

impl From<Shared> for AppState {
    fn from(shared: Shared) -> AppState {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

macro_rules! part {
    ($type:ty, $field:ident) => {
        impl FromRef<AppState> for $type {
            fn from_ref(state: &AppState) -> $type {
                state.0.$field.clone()
            }
        }
    };
}

part!(LeptosOptions, leptos_options);
part!(ServerBackend, backend);
part!(ServerAccounts, accounts);
part!(ServerFeedback, feedback);
part!(ServerJourney, journey);
part!(Rooms, rooms);
part!(Arc<SiteConfig>, site);

impl FromRef<AppState> for crate::hub::Live {
    fn from_ref(state: &AppState) -> crate::hub::Live {
        crate::hub::Live {
            rooms: state.rooms.clone(),
            accounts: state.accounts.clone(),
            limits: state.live_limits,
        }
    }
}
