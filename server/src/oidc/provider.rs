//! The OpenID provider as Waymark talks to it: discovery (its endpoints and signing keys), the
//! code exchange, and the checks of what comes back, all through `openidconnect`.
//!
//! Discovery is lazy and retried: a provider that is down when Waymark starts only delays
//! single sign-on (password sign-in, when on, is unaffected) instead of keeping Waymark down;
//! the server tries once in the background at start so a misconfiguration shows in the log
//! at once. The result is kept for `REFRESH`, then fetched again, so rotated signing keys are
//! picked up; a failed fetch is not repeated for `RETRY`, so a burst of sign-ins while the
//! provider is down sends it one request, not one each.

use std::sync::Arc;
use std::time::{Duration, Instant};

use openidconnect::core::{CoreClient, CoreProviderMetadata, CoreUserInfoClaims};
use openidconnect::reqwest;
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, EndpointMaybeSet, EndpointNotSet, EndpointSet,
    IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeVerifier, RedirectUrl, TokenResponse,
};

/// The client as discovery makes it: authorization endpoint set, token and userinfo endpoints
/// as the provider published them.
pub type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// How long discovered endpoints and keys are used before they are fetched again.
const REFRESH: Duration = Duration::from_secs(15 * 60);
/// How long after a failed discovery the next one may be tried.
const RETRY: Duration = Duration::from_secs(5);
/// Longest wait for any one answer of the provider.
const TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider could not be asked (down, unreachable, answering nonsense).
    #[error("the OpenID provider cannot be reached: {0}")]
    Unreachable(String),
    /// The provider answered, but not with a sign-in Waymark can trust.
    #[error("the OpenID provider's answer was refused: {0}")]
    Refused(String),
}

/// Who the provider says signed in.
#[derive(Clone, Debug)]
pub struct Identity {
    pub email: Option<String>,
    /// `email_verified`; absent counts as not verified.
    pub verified: bool,
    pub name: Option<String>,
}

pub struct Provider {
    issuer: IssuerUrl,
    client_id: ClientId,
    client_secret: Option<ClientSecret>,
    redirect: RedirectUrl,
    http: reqwest::Client,
    cache: tokio::sync::Mutex<Cache>,
}

#[derive(Default)]
struct Cache {
    client: Option<(Arc<Client>, Instant)>,
    failed_at: Option<Instant>,
}

impl Provider {
    pub fn new(settings: &super::Settings) -> Result<Provider, String> {
        let issuer = IssuerUrl::new(settings.issuer.clone()).map_err(|e| e.to_string())?;
        let redirect =
            RedirectUrl::new(settings.redirect_url.clone()).map_err(|e| e.to_string())?;
        // Redirects are not followed: the crate's advice against server-side request forgery.
        // Connections are not kept for reuse: sign-ins are minutes apart, and a provider
        // closing an idle connection (Node's after 5 s) just as a token request goes out on it
        // failed that sign-in as "unavailable".
        let http = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .timeout(TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Provider {
            issuer,
            client_id: ClientId::new(settings.client_id.clone()),
            client_secret: settings.client_secret.clone().map(ClientSecret::new),
            redirect,
            http,
            cache: tokio::sync::Mutex::default(),
        })
    }

    /// The client for the provider's current endpoints and keys, discovered if need be.
    pub async fn client(&self) -> Result<Arc<Client>, ProviderError> {
        let mut cache = self.cache.lock().await;
        let now = Instant::now();
        if let Some((client, at)) = &cache.client {
            if now.duration_since(*at) < REFRESH {
                return Ok(client.clone());
            }
        }
        if cache
            .failed_at
            .is_some_and(|at| now.duration_since(at) < RETRY)
        {
            return match &cache.client {
                Some((client, _)) => Ok(client.clone()),
                None => Err(ProviderError::Unreachable(
                    "discovery failed just now".into(),
                )),
            };
        }
        match CoreProviderMetadata::discover_async(self.issuer.clone(), &self.http).await {
            Ok(metadata) => {
                let client = CoreClient::from_provider_metadata(
                    metadata,
                    self.client_id.clone(),
                    self.client_secret.clone(),
                )
                .set_redirect_uri(self.redirect.clone());
                let client = Arc::new(client);
                *cache = Cache {
                    client: Some((client.clone(), now)),
                    failed_at: None,
                };
                Ok(client)
            }
            Err(err) => {
                cache.failed_at = Some(now);
                let why = error_chain(&err);
                match &cache.client {
                    // Endpoints and keys a little old are better than none.
                    Some((client, _)) => {
                        tracing::warn!(error = %why, "OpenID discovery failed; using the last one");
                        Ok(client.clone())
                    }
                    None => Err(ProviderError::Unreachable(why)),
                }
            }
        }
    }

    /// Exchanges `code` (with the PKCE verifier) and checks the ID token: its signature,
    /// issuer, audience, expiry and `nonce`. The email comes from the ID token, or, when the
    /// provider keeps it out of the ID token (as some do in the code flow), from the userinfo
    /// endpoint, asked with the access token and checked to be about the same subject.
    pub async fn identify(
        &self,
        client: &Client,
        code: String,
        verifier: PkceCodeVerifier,
        nonce: &Nonce,
    ) -> Result<Identity, ProviderError> {
        let request = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| ProviderError::Refused(e.to_string()))?
            .set_pkce_verifier(verifier);
        let tokens = request.request_async(&self.http).await.map_err(|err| {
            use openidconnect::RequestTokenError;
            match err {
                RequestTokenError::Request(_) => ProviderError::Unreachable(error_chain(&err)),
                _ => ProviderError::Refused(error_chain(&err)),
            }
        })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| ProviderError::Refused("no ID token in the token response".into()))?;
        let claims = id_token
            .claims(&client.id_token_verifier(), nonce)
            .map_err(|e| ProviderError::Refused(error_chain(&e)))?;
        let name = |claim: Option<&openidconnect::LocalizedClaim<openidconnect::EndUserName>>| {
            claim.and_then(|n| n.get(None)).map(|n| n.to_string())
        };
        if let Some(email) = claims.email() {
            return Ok(Identity {
                email: Some(email.to_string()),
                verified: claims.email_verified() == Some(true),
                name: name(claims.name()),
            });
        }
        let info: CoreUserInfoClaims = client
            .user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            )
            .map_err(|e| ProviderError::Refused(e.to_string()))?
            .request_async(&self.http)
            .await
            .map_err(|e| ProviderError::Refused(error_chain(&e)))?;
        Ok(Identity {
            email: info.email().map(|e| e.to_string()),
            verified: info.email_verified() == Some(true),
            name: name(info.name()).or_else(|| name(claims.name())),
        })
    }
}

/// An error with its causes, for the log (openidconnect's errors say little at the top).
fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
