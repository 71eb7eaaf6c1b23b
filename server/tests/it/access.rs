//! Every endpoint refuses whoever must not use it. The server functions are enumerated from the
//! registry the router serves them from, so a new one without an entry here fails this test,
//! and one whose check is missing fails it too.

use app::domain::access::{Capability, Role};
use app::domain::ids::{CardId, MapId, UserId};
use app::domain::template::Template;
use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use server::backend::ServerBackend;
use tower::ServiceExt;
use uuid::Uuid;

use crate::support::{new_map, Disk};

/// The weakest caller a server function serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Need {
    /// Anyone (signing in, invitations, share links).
    Anyone,
    /// Any signed-in person.
    User,
    /// Being able to do this with the map the call names (see `Role::may`).
    Can(Capability),
    Admin,
}

/// Each server function by name: who it needs, and arguments that name the test map.
fn cases(map: MapId, user: UserId, card: CardId) -> Vec<(&'static str, Need, String)> {
    let uuid = Uuid::new_v4();
    vec![
        (
            "get_map_feedback",
            Need::Can(Capability::View),
            format!(r#"{{"map":"{map}","filter":{{}},"share":null}}"#),
        ),
        (
            "get_journey",
            Need::Can(Capability::View),
            format!(r#"{{"map":"{map}","filter":{{}},"share":null}}"#),
        ),
        (
            "get_touchpoint_feedback",
            Need::Can(Capability::View),
            format!(
                r#"{{"map":"{map}","card":"{card}","filter":{{}},"period":"week","share":null}}"#
            ),
        ),
        ("get_public_form", Need::Anyone, format!("token={uuid}")),
        (
            "feedback_inbox",
            Need::Can(Capability::ReadResponses),
            format!("map={map}&unhappy_only=false"),
        ),
        (
            "set_followed_up",
            Need::Can(Capability::ReadResponses),
            format!("map={map}&response=1&done=true"),
        ),
        (
            "form_token",
            Need::Can(Capability::CollectFeedback),
            format!("map={map}&card={card}&renew=false"),
        ),
        (
            "api_keys",
            Need::Can(Capability::CollectFeedback),
            format!("map={map}"),
        ),
        (
            "create_api_key",
            Need::Can(Capability::CollectFeedback),
            format!("map={map}&label=Zapier"),
        ),
        (
            "revoke_api_key",
            Need::Can(Capability::CollectFeedback),
            format!("map={map}&key={uuid}"),
        ),
        (
            "forget_customer",
            Need::Can(Capability::Delete),
            format!("map={map}&reference=ann%40example.com"),
        ),
        (
            "event_retention",
            Need::Can(Capability::Delete),
            format!("map={map}"),
        ),
        (
            "set_event_retention",
            Need::Can(Capability::Delete),
            format!("map={map}&days=30"),
        ),
        ("current_user", Need::Anyone, String::new()),
        ("ways_in", Need::Anyone, String::new()),
        (
            "set_up",
            Need::Anyone,
            "email=x%40example.com&name=X&password=a+long+password".into(),
        ),
        (
            "log_in",
            Need::Anyone,
            "email=x%40example.com&password=wrong+password".into(),
        ),
        ("log_out", Need::Anyone, String::new()),
        (
            "request_password_reset",
            Need::Anyone,
            "email=x%40example.com".into(),
        ),
        ("reset_link_live", Need::Anyone, format!("token={uuid}")),
        (
            "reset_password",
            Need::Anyone,
            format!("token={uuid}&password=a+long+password"),
        ),
        ("verify_email", Need::Anyone, format!("token={uuid}")),
        ("my_email_status", Need::User, String::new()),
        ("resend_verification", Need::User, String::new()),
        ("my_notifications", Need::User, String::new()),
        ("set_notifications", Need::User, "mention=on".into()),
        (
            "set_review_interval",
            Need::Can(Capability::Share),
            format!("id={map}&days=30"),
        ),
        (
            "mark_reviewed",
            Need::Can(Capability::Edit),
            format!("id={map}"),
        ),
        (
            "change_password",
            Need::User,
            "current=wrong+password&new=another+long+one".into(),
        ),
        ("list_maps", Need::User, String::new()),
        ("landscape", Need::User, String::new()),
        (
            "stage_owners",
            Need::Can(Capability::Share),
            format!("map={map}"),
        ),
        (
            "set_stage_owner",
            Need::Can(Capability::Share),
            format!("map={map}&stage={uuid}&user="),
        ),
        (
            "set_catalog",
            Need::Can(Capability::Edit),
            format!("id={map}&status=validated&tags=b2b"),
        ),
        ("create_map", Need::User, "template=blank&title=".into()),
        (
            "load_map",
            Need::Can(Capability::View),
            format!(r#"{{"id":"{map}"}}"#),
        ),
        (
            "duplicate_map",
            Need::Can(Capability::View),
            format!("id={map}&title=Copy"),
        ),
        (
            "rename_map",
            Need::Can(Capability::Edit),
            format!("id={map}&title=Renamed"),
        ),
        (
            "delete_map",
            Need::Can(Capability::Delete),
            format!("id={map}"),
        ),
        (
            "map_history",
            Need::Can(Capability::View),
            format!("id={map}"),
        ),
        (
            "map_at",
            Need::Can(Capability::View),
            format!("id={map}&rev=0"),
        ),
        (
            "name_version",
            Need::Can(Capability::Edit),
            format!("id={map}&rev=0&name=V"),
        ),
        (
            "side_changes",
            Need::Can(Capability::View),
            format!("id={map}"),
        ),
        (
            "undo_side_change",
            Need::Can(Capability::Edit),
            format!("id={map}&entry=1"),
        ),
        (
            "list_versions",
            Need::Can(Capability::View),
            format!("id={map}"),
        ),
        (
            "map_members",
            Need::Can(Capability::Share),
            format!("map={map}"),
        ),
        (
            "add_member",
            Need::Can(Capability::Share),
            format!("map={map}&email=x%40example.com&role=editor"),
        ),
        (
            "set_member_role",
            Need::Can(Capability::Share),
            format!("map={map}&user={user}&role=owner"),
        ),
        (
            "share_links",
            Need::Can(Capability::Share),
            format!("map={map}"),
        ),
        (
            "create_share_link",
            Need::Can(Capability::Share),
            format!("map={map}&label=L"),
        ),
        (
            "revoke_share_link",
            Need::Can(Capability::Share),
            format!("map={map}&link={uuid}"),
        ),
        (
            "create_invite",
            Need::Can(Capability::Share),
            format!("map={map}&role=viewer"),
        ),
        ("invite_info", Need::Anyone, format!("token={uuid}")),
        (
            "accept_invite",
            Need::Anyone,
            format!("token={uuid}&email=y%40example.com&name=Y&password=a+long+password"),
        ),
        ("open_share", Need::Anyone, format!("token={uuid}")),
        (
            "unlock_share",
            Need::Anyone,
            format!("token={uuid}&password=whatever+it+is"),
        ),
        ("opportunities", Need::User, String::new()),
        (
            "set_opportunity",
            Need::Can(Capability::Edit),
            format!("map={map}&card={card}&status=idea"),
        ),
        (
            "map_targets",
            Need::Can(Capability::View),
            format!(r#"{{"map":"{map}","filter":{{}},"share":null}}"#),
        ),
        (
            "set_target",
            Need::Can(Capability::Edit),
            format!("map={map}&measure=nps&value=10"),
        ),
        // A viewer may make their own to-be copy of a map they can see.
        (
            "make_to_be",
            Need::Can(Capability::View),
            format!("id={map}"),
        ),
        (
            "set_parent",
            Need::Can(Capability::Edit),
            format!("map={map}&parent="),
        ),
        ("cards_of", Need::Can(Capability::View), format!("id={map}")),
        // Checks the map and its as-is map; the test's map is no to-be map, so all get 404.
        ("compare_with_as_is", Need::User, format!("id={map}")),
        ("family", Need::Can(Capability::View), format!("id={map}")),
        ("persona_library", Need::User, String::new()),
        ("library_definitions", Need::User, String::new()),
        (
            "save_metric",
            Need::User,
            "name=M&measure=nps&target=10".to_owned(),
        ),
        ("delete_metric", Need::User, format!("id={uuid}")),
        (
            "apply_metric",
            Need::Can(Capability::Edit),
            format!("id={uuid}&map={map}"),
        ),
        ("save_channel", Need::Admin, "name=Web".to_owned()),
        ("delete_channel", Need::Admin, format!("id={uuid}")),
        ("save_library_persona", Need::User, "name=Shared".to_owned()),
        // Needs the right to edit every map using it; this one is used on none.
        ("delete_library_persona", Need::User, format!("id={uuid}")),
        (
            "use_library_persona",
            Need::Can(Capability::Edit),
            format!("id={uuid}&map={map}"),
        ),
        (
            "share_persona",
            Need::Can(Capability::Edit),
            format!("map={map}&persona={uuid}"),
        ),
        (
            "detach_persona",
            Need::Can(Capability::Edit),
            format!("map={map}&persona={uuid}"),
        ),
        ("list_users", Need::Admin, String::new()),
        ("audit_log", Need::Admin, r#"{"query":{}}"#.to_owned()),
        ("remove_user", Need::Admin, format!("user={uuid}")),
        ("set_admin", Need::Admin, format!("user={user}&admin=true")),
    ]
}

/// A call of the server function at `path` with a form or JSON `body`, as a browser signed in
/// with `cookie` (or nobody) makes it.
pub(crate) fn server_fn_call(path: &str, body: &str, cookie: Option<&str>) -> Request<Body> {
    let json = body.starts_with('{');
    let mut request = Request::post(path)
        .header(header::ACCEPT, "application/json")
        .header(
            header::CONTENT_TYPE,
            if json {
                "application/json"
            } else {
                "application/x-www-form-urlencoded"
            },
        );
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::from(body.to_owned())).unwrap()
}

async fn call(app: &Router, path: &str, body: &str, cookie: Option<&str>) -> StatusCode {
    let response = app
        .clone()
        .oneshot(server_fn_call(path, body, cookie))
        .await
        .unwrap();
    let status = response.status();
    let _ = to_bytes(response.into_body(), 1 << 20).await;
    status
}

/// A signed-in account with `role` on `map` (or none), as a cookie.
async fn person(backend: &ServerBackend, map: MapId, role: Option<Role>) -> (UserId, String) {
    let (user, cookie) = crate::support::person(backend, false, role.map(|r| (map, r))).await;
    (user.id, cookie)
}

#[tokio::test]
async fn every_server_function_refuses_callers_without_access() {
    let disk = Disk::new();
    let backend = disk.open();
    // An admin exists, so `set_up` is refused to everyone.
    let _admin = crate::support::admin_cookie(&backend).await;
    let map = new_map(&backend, Template::CustomerJourney).await;
    let (viewer, as_viewer) = person(&backend, map, Some(Role::Viewer)).await;
    let (_, as_editor) = person(&backend, map, Some(Role::Editor)).await;
    let (_, as_stranger) = person(&backend, map, None).await;
    let app = disk.bare_router(backend.clone());
    let card = backend.rooms.snapshot(map).await.unwrap().map.cards()[0].id;
    let cases = cases(map, viewer, card);

    let mut seen = Vec::new();
    for (path, _) in leptos::server_fn::axum::server_fn_paths() {
        let name = path
            .trim_start_matches("/api/")
            .trim_end_matches(|c: char| c.is_ascii_digit());
        let Some((_, need, body)) = cases.iter().find(|(n, _, _)| *n == name) else {
            panic!(
                "server function `{name}` has no access case here: add it, with who may call it"
            );
        };
        seen.push(name.to_owned());
        let refused = |s: StatusCode| {
            matches!(
                s,
                StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            )
        };

        let anonymous = call(&app, path, body, None).await;
        match need {
            Need::Anyone => assert!(
                anonymous != StatusCode::INTERNAL_SERVER_ERROR,
                "{name}: {anonymous}"
            ),
            _ => assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{name} as nobody"),
        }

        if name == "log_out" {
            // It would end the sessions the rest of this test signs in with.
            continue;
        }
        let as_viewer_status = call(&app, path, body, Some(&as_viewer)).await;
        let as_stranger_status = call(&app, path, body, Some(&as_stranger)).await;
        match need {
            Need::Anyone | Need::User => {}
            Need::Can(capability) => {
                if Role::Viewer.may(*capability) {
                    assert!(
                        !refused(as_viewer_status),
                        "{name} as a viewer: {as_viewer_status}"
                    );
                } else {
                    assert_eq!(
                        as_viewer_status,
                        StatusCode::FORBIDDEN,
                        "{name} as a viewer"
                    );
                }
                // Editors are tried only where they must be refused (what they may do would
                // change the map the rest of this test looks at).
                if !Role::Editor.may(*capability) {
                    let as_editor_status = call(&app, path, body, Some(&as_editor)).await;
                    assert_eq!(
                        as_editor_status,
                        StatusCode::FORBIDDEN,
                        "{name} as an editor"
                    );
                }
                assert!(
                    refused(as_stranger_status),
                    "{name} as someone without access: {as_stranger_status}"
                );
            }
            Need::Admin => {
                assert_eq!(
                    as_viewer_status,
                    StatusCode::FORBIDDEN,
                    "{name} as a viewer"
                );
                assert_eq!(
                    as_stranger_status,
                    StatusCode::FORBIDDEN,
                    "{name} as a non-admin"
                );
            }
        }
    }
    let missing: Vec<_> = cases
        .iter()
        .filter(|(name, _, _)| !seen.iter().any(|s| s == name))
        .map(|(name, _, _)| *name)
        .collect();
    assert!(
        missing.is_empty(),
        "cases for server functions that no longer exist: {missing:?}"
    );

    // The map is untouched by all of that.
    let snapshot = backend.rooms.snapshot(map).await.unwrap();
    assert_eq!(
        snapshot.map.title.as_str(),
        "Customer journey — online shoe store"
    );
}

/// What a plain route asks of its caller.
#[derive(Clone, Copy, Debug)]
enum Gate {
    /// Nothing: health checks, the API's description.
    Open,
    /// A signed-in account, any.
    SignedIn,
    /// A role on the map in the path that may do this.
    Can(Capability),
    /// A secret of its own (an API key, a form token) in place of an account.
    Secret,
    /// An instance admin.
    Admin,
}

/// A request to a plain route, for the test map.
struct Probe {
    method: &'static str,
    route: &'static str,
    path: String,
    content_type: Option<&'static str>,
    body: &'static str,
    gate: Gate,
}

fn probes(map: MapId) -> Vec<Probe> {
    let probe = |method, route, path: String, gate| Probe {
        method,
        route,
        path,
        content_type: None,
        body: "",
        gate,
    };
    let fake = "ab".repeat(16);
    vec![
        probe("GET", "/healthz", "/healthz".into(), Gate::Open),
        probe("GET", "/readyz", "/readyz".into(), Gate::Open),
        // The site's files are for everyone (the test writes this one into the site's root).
        probe(
            "GET",
            server::assets::PATH,
            "/v/any/style.css".into(),
            Gate::Open,
        ),
        probe(
            "GET",
            server::hub::PATH,
            format!("/ws/maps/{map}"),
            Gate::Can(Capability::View),
        ),
        probe(
            "GET",
            server::export::DOWNLOAD,
            format!("/maps/{map}/export/json"),
            Gate::Can(Capability::View),
        ),
        probe(
            "GET",
            server::export::DOWNLOAD,
            format!("/maps/{map}/export/responses"),
            Gate::Can(Capability::ReadResponses),
        ),
        // The measured journey, as the Journey panel shows it (share links: journey_export.rs).
        probe(
            "GET",
            server::export::DOWNLOAD,
            format!("/maps/{map}/export/journey-csv"),
            Gate::Can(Capability::View),
        ),
        probe(
            "GET",
            server::export::DOWNLOAD,
            format!("/maps/{map}/export/json?feedback=true"),
            Gate::Can(Capability::ReadResponses),
        ),
        Probe {
            content_type: Some("application/json"),
            body: "{}",
            ..probe(
                "POST",
                server::export::IMPORT,
                "/maps/import".into(),
                Gate::SignedIn,
            )
        },
        Probe {
            content_type: Some("application/json"),
            body: "[]",
            ..probe(
                "POST",
                server::feedback::api::RESPONSES,
                format!("/api/v1/maps/{map}/responses"),
                Gate::Secret,
            )
        },
        Probe {
            content_type: Some("application/json"),
            body: "[]",
            ..probe(
                "POST",
                server::journey::api::EVENTS,
                format!("/api/v1/maps/{map}/events"),
                Gate::Secret,
            )
        },
        probe(
            "GET",
            server::feedback::api::OPENAPI_PATH,
            "/api/v1/openapi.json".into(),
            Gate::Open,
        ),
        Probe {
            content_type: Some("multipart/form-data; boundary=x"),
            body: "--x--\r\n",
            ..probe(
                "POST",
                server::feedback::import::IMPORT,
                format!("/maps/{map}/feedback/import"),
                Gate::Can(Capability::CollectFeedback),
            )
        },
        Probe {
            content_type: Some("multipart/form-data; boundary=x"),
            body: "--x--\r\n",
            ..probe(
                "POST",
                server::journey::import::IMPORT,
                format!("/maps/{map}/journey/import"),
                Gate::Can(Capability::CollectFeedback),
            )
        },
        Probe {
            content_type: Some("application/x-www-form-urlencoded"),
            body: "nps=9",
            ..probe(
                "POST",
                server::feedback::form::SUBMIT,
                format!("/f/{fake}"),
                Gate::Secret,
            )
        },
        probe(
            "GET",
            server::audit::CSV,
            "/admin/audit.csv".into(),
            Gate::Admin,
        ),
        probe(
            "GET",
            server::audit::JSON,
            "/admin/audit.json?action=sign_in".into(),
            Gate::Admin,
        ),
        probe(
            "GET",
            server::feedback::form::QR_CODE,
            format!("/f/{fake}/qr.svg"),
            Gate::Secret,
        ),
        // An unsubscribe link's authority is its signature; a made-up one is not found.
        probe(
            "GET",
            server::notify::unsubscribe::PATH,
            format!("/notifications/unsubscribe/{fake}.m.{fake}"),
            Gate::Secret,
        ),
        probe(
            "POST",
            server::notify::unsubscribe::PATH,
            format!("/notifications/unsubscribe/{fake}.m.{fake}"),
            Gate::Secret,
        ),
        // Single sign-on is not configured here: its routes are not found, for anyone. (The
        // end-to-end test `oidc.spec.ts` covers them against a real provider.)
        probe(
            "GET",
            server::oidc::START,
            "/auth/oidc/start".into(),
            Gate::Secret,
        ),
        probe(
            "GET",
            server::oidc::CALLBACK,
            format!("/auth/oidc/callback?state={fake}&code={fake}"),
            Gate::Secret,
        ),
    ]
}

async fn status(app: &Router, probe: &Probe, cookie: Option<&str>) -> StatusCode {
    let mut request = Request::builder().method(probe.method).uri(&probe.path);
    if let Some(content_type) = probe.content_type {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    if probe.route == server::hub::PATH {
        request = request
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_VERSION, "13")
            .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==");
    }
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let request = request.body(Body::from(probe.body)).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let _ = to_bytes(response.into_body(), 1 << 24).await;
    status
}

#[tokio::test]
async fn every_plain_route_refuses_callers_without_access() {
    let disk = Disk::new();
    let backend = disk.open();
    let map = new_map(&backend, Template::Blank).await;
    let (_, as_viewer) = person(&backend, map, Some(Role::Viewer)).await;
    let (_, as_editor) = person(&backend, map, Some(Role::Editor)).await;
    let (_, as_stranger) = person(&backend, map, None).await;
    std::fs::write(disk.path().join("style.css"), "body {}").unwrap();
    let app = disk.bare_router(backend.clone());
    let probes = probes(map);
    for (method, route) in server::router::PLAIN_ROUTES {
        assert!(
            probes
                .iter()
                .any(|p| p.method == *method && p.route == *route),
            "{method} {route} has no access case here: add it, with who may call it"
        );
    }
    let refused = |s: StatusCode| {
        matches!(
            s,
            StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
        )
    };
    for probe in &probes {
        let what = format!("{} {}", probe.method, probe.path);
        let anonymous = status(&app, probe, None).await;
        let as_viewer = status(&app, probe, Some(&as_viewer)).await;
        let as_stranger = status(&app, probe, Some(&as_stranger)).await;
        match probe.gate {
            Gate::Open => {
                for s in [anonymous, as_viewer, as_stranger] {
                    assert_eq!(s, StatusCode::OK, "{what}");
                }
            }
            Gate::SignedIn => {
                assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{what}");
                assert!(!refused(as_stranger), "{what} signed in: {as_stranger}");
            }
            Gate::Secret => {
                // A made-up secret opens nothing, whoever sends it.
                for s in [anonymous, as_viewer, as_stranger] {
                    assert!(refused(s), "{what}: {s}");
                }
            }
            Gate::Admin => {
                assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{what} as nobody");
                for s in [as_viewer, as_stranger] {
                    assert_eq!(s, StatusCode::FORBIDDEN, "{what} as a non-admin");
                }
            }
            Gate::Can(capability) => {
                assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{what} as nobody");
                assert_eq!(as_stranger, StatusCode::NOT_FOUND, "{what} as a stranger");
                let as_editor = status(&app, probe, Some(&as_editor)).await;
                for (role, got) in [(Role::Viewer, as_viewer), (Role::Editor, as_editor)] {
                    if role.may(capability) {
                        assert!(!refused(got), "{what} as {role:?}: {got}");
                    } else {
                        assert_eq!(got, StatusCode::FORBIDDEN, "{what} as {role:?}");
                    }
                }
            }
        }
    }

    // A forged cross-site request is refused before anything else looks at it.
    let forged = Request::post("/maps/import")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::HOST, "waymark.example")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(
        app.clone().oneshot(forged).await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    // A page whose policy sends no referrer posts with `Origin: null`; the browser still says
    // whether the post is the site's own, and only then is it let through.
    let null_origin = |site: &'static str| {
        Request::post("/maps/import")
            .header(header::ORIGIN, "null")
            .header("sec-fetch-site", site)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap()
    };
    let own = app
        .clone()
        .oneshot(null_origin("same-origin"))
        .await
        .unwrap();
    assert_eq!(
        own.status(),
        StatusCode::UNAUTHORIZED,
        "past the origin check"
    );
    let foreign = app
        .clone()
        .oneshot(null_origin("cross-site"))
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    // Pages that need an account send the visitor to sign in.
    let response = app
        .clone()
        .oneshot(
            Request::get("/")
                .header(header::ACCEPT, "text/html")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        response
            .headers()
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap()),
        Some("/login")
    );
    assert_eq!(
        backend.db.list_maps(None).await.unwrap().len(),
        1,
        "nothing was made"
    );
}
