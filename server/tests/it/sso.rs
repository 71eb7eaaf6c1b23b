//! Single sign-on's server side without a provider: "SSO only" refuses passwords on the server,
//! and a provider that cannot be reached sends people back to the sign-in page with a reason.
//! (Signing in through a real provider is `end2end/tests/oidc.spec.ts`.)

use app::api::auth::{LogIn, SetUp, SignInMethods, WaysIn};
use app::api::sharing::AcceptInvite;
use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use leptos::server_fn::ServerFn;
use server::state::SiteConfig;
use tower::ServiceExt;

use crate::support::{person, Disk};

/// Single sign-on through a provider on a port nobody listens on.
fn site(only: bool) -> SiteConfig {
    SiteConfig {
        sso: Some(server::oidc::Settings {
            issuer: "http://127.0.0.1:9".into(),
            client_id: "waymark".into(),
            client_secret: Some("secret".into()),
            redirect_url: "http://127.0.0.1:3000/auth/oidc/callback".into(),
            allowed_domains: Vec::new(),
            only,
            label: "Example ID".into(),
        }),
        ..SiteConfig::default()
    }
}

async fn send(app: &Router, request: Request<Body>) -> (StatusCode, String, Option<String>) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (
        status,
        String::from_utf8_lossy(&body).into_owned(),
        location,
    )
}

async fn call(app: &Router, path: &str, body: &str) -> (StatusCode, String) {
    let request = crate::access::server_fn_call(path, body, None);
    let (status, body, _) = send(app, request).await;
    (status, body)
}

#[tokio::test]
async fn with_single_sign_on_only_passwords_are_refused_on_the_server() {
    let disk = Disk::new();
    let backend = disk.open();
    let (user, _) = person(&backend, false, None).await;
    let app = server::router::router(disk.state(backend.clone(), site(true)));

    let (status, body) = call(&app, WaysIn::PATH, "").await;
    assert_eq!(status, StatusCode::OK);
    let methods: SignInMethods = serde_json::from_str(&body).unwrap();
    assert!(!methods.password);
    assert_eq!(methods.sso.as_deref(), Some("Example ID"));

    // The right password still does not sign in.
    let form = format!(
        "email={}&password=a+long+password",
        user.email.replace('@', "%40")
    );
    let (status, body) = call(&app, LogIn::PATH, &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body.contains("signs people in with Example ID only"),
        "{body}"
    );
    let form = "email=x%40example.com&name=X&password=a+long+password";
    let (status, _) = call(&app, SetUp::PATH, form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let form = format!("token={}&{form}", "ab".repeat(32));
    let (status, body) = call(&app, AcceptInvite::PATH, &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("only"), "{body}");

    // With passwords allowed too, the same password signs in.
    let app = server::router::router(disk.state(backend, site(false)));
    let form = format!(
        "email={}&password=a+long+password",
        user.email.replace('@', "%40")
    );
    let (status, body) = call(&app, LogIn::PATH, &form).await;
    assert!(
        status.is_success() || status.is_redirection(),
        "{status} {body}"
    );
}

#[tokio::test]
async fn a_provider_that_cannot_be_reached_is_explained_on_the_sign_in_page() {
    let disk = Disk::new();
    let app = server::router::router(disk.state(disk.open(), site(false)));
    let start = Request::get("/auth/oidc/start?next=/maps")
        .body(Body::empty())
        .unwrap();
    let (status, _, location) = send(&app, start).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/login?sso_error=unavailable"));
    // A callback nobody started is refused the same way whatever it carries.
    let forged = Request::get("/auth/oidc/callback?state=x&code=y")
        .header(header::COOKIE, "waymark_sso=z")
        .body(Body::empty())
        .unwrap();
    let (status, _, location) = send(&app, forged).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location.as_deref(), Some("/login?sso_error=expired"));
}
