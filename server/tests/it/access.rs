//! Every endpoint refuses whoever must not use it. The server functions are enumerated from the
//! registry the router serves them from, so a new one without an entry here fails this test,
//! and one whose check is missing fails it too.

use app::domain::access::Role;
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
    /// A role on the map the call names.
    Role(Role),
    Admin,
}

/// Each server function by name: who it needs, and arguments that name the test map.
fn cases(map: MapId, user: UserId, card: CardId) -> Vec<(&'static str, Need, String)> {
    let uuid = Uuid::new_v4();
    vec![
        (
            "get_map_feedback",
            Need::Role(Role::Viewer),
            format!(r#"{{"map":"{map}","filter":{{}},"share":null}}"#),
        ),
        (
            "get_touchpoint_feedback",
            Need::Role(Role::Viewer),
            format!(
                r#"{{"map":"{map}","card":"{card}","filter":{{}},"period":"week","share":null}}"#
            ),
        ),
        ("get_public_form", Need::Anyone, format!("token={uuid}")),
        (
            "feedback_inbox",
            Need::Role(Role::Editor),
            format!("map={map}&unhappy_only=false"),
        ),
        (
            "set_followed_up",
            Need::Role(Role::Editor),
            format!("map={map}&response=1&done=true"),
        ),
        (
            "form_token",
            Need::Role(Role::Editor),
            format!("map={map}&card={card}&renew=false"),
        ),
        ("api_keys", Need::Role(Role::Editor), format!("map={map}")),
        (
            "create_api_key",
            Need::Role(Role::Editor),
            format!("map={map}&label=Zapier"),
        ),
        (
            "revoke_api_key",
            Need::Role(Role::Editor),
            format!("map={map}&key={uuid}"),
        ),
        ("current_user", Need::Anyone, String::new()),
        ("needs_setup", Need::Anyone, String::new()),
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
            "change_password",
            Need::User,
            "current=wrong+password&new=another+long+one".into(),
        ),
        ("list_maps", Need::User, String::new()),
        ("create_map", Need::User, "template=blank&title=".into()),
        ("load_map", Need::Role(Role::Viewer), format!("id={map}")),
        (
            "duplicate_map",
            Need::Role(Role::Viewer),
            format!("id={map}&title=Copy"),
        ),
        (
            "rename_map",
            Need::Role(Role::Editor),
            format!("id={map}&title=Renamed"),
        ),
        ("delete_map", Need::Role(Role::Owner), format!("id={map}")),
        ("map_history", Need::Role(Role::Viewer), format!("id={map}")),
        (
            "map_at",
            Need::Role(Role::Viewer),
            format!("id={map}&rev=0"),
        ),
        (
            "name_version",
            Need::Role(Role::Editor),
            format!("id={map}&rev=0&name=V"),
        ),
        (
            "list_versions",
            Need::Role(Role::Viewer),
            format!("id={map}"),
        ),
        ("map_members", Need::Role(Role::Owner), format!("map={map}")),
        (
            "add_member",
            Need::Role(Role::Owner),
            format!("map={map}&email=x%40example.com&role=editor"),
        ),
        (
            "set_member_role",
            Need::Role(Role::Owner),
            format!("map={map}&user={user}&role=owner"),
        ),
        ("share_links", Need::Role(Role::Owner), format!("map={map}")),
        (
            "create_share_link",
            Need::Role(Role::Owner),
            format!("map={map}&label=L"),
        ),
        (
            "revoke_share_link",
            Need::Role(Role::Owner),
            format!("map={map}&link={uuid}"),
        ),
        (
            "create_invite",
            Need::Role(Role::Owner),
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
        ("list_users", Need::Admin, String::new()),
        ("remove_user", Need::Admin, format!("user={uuid}")),
        ("set_admin", Need::Admin, format!("user={user}&admin=true")),
    ]
}

async fn call(app: &Router, path: &str, body: &str, cookie: Option<&str>) -> StatusCode {
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
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body.to_owned())).unwrap())
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
            Need::Role(Role::Viewer) => {
                assert!(
                    !refused(as_viewer_status),
                    "{name} as a viewer: {as_viewer_status}"
                );
                assert!(
                    refused(as_stranger_status),
                    "{name} as someone without access: {as_stranger_status}"
                );
            }
            Need::Role(_) => {
                assert_eq!(
                    as_viewer_status,
                    StatusCode::FORBIDDEN,
                    "{name} as a viewer"
                );
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

#[tokio::test]
async fn plain_routes_refuse_callers_without_access() {
    let disk = Disk::new();
    let backend = disk.open();
    let map = new_map(&backend, Template::Blank).await;
    let (_, as_viewer) = person(&backend, map, Some(Role::Viewer)).await;
    let (_, as_stranger) = person(&backend, map, None).await;
    let app = disk.bare_router(backend.clone());
    let get = |path: String, cookie: Option<String>| {
        let app = app.clone();
        async move {
            let mut request = Request::get(path);
            if let Some(cookie) = cookie {
                request = request.header(header::COOKIE, cookie);
            }
            app.oneshot(request.body(Body::empty()).unwrap())
                .await
                .unwrap()
                .status()
        }
    };
    let export = format!("/maps/{map}/export/json");
    assert_eq!(get(export.clone(), None).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(export.clone(), Some(as_stranger.clone())).await,
        StatusCode::NOT_FOUND
    );
    assert_eq!(get(export, Some(as_viewer.clone())).await, StatusCode::OK);
    // Customers' responses are for editors: a viewer is refused them in either form.
    for path in ["export/responses", "export/json?feedback=true"] {
        let path = format!("/maps/{map}/{path}");
        assert_eq!(get(path.clone(), None).await, StatusCode::UNAUTHORIZED);
        assert_eq!(
            get(path, Some(as_viewer.clone())).await,
            StatusCode::FORBIDDEN
        );
    }

    let import = Request::post("/maps/import")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(
        app.clone().oneshot(import).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );

    let socket = |cookie: Option<String>| {
        let mut request = Request::get(format!("/ws/maps/{map}"))
            .header(header::CONNECTION, "upgrade")
            .header(header::UPGRADE, "websocket")
            .header(header::SEC_WEBSOCKET_VERSION, "13")
            .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.body(Body::empty()).unwrap()
    };
    let status = |r: Request<Body>| {
        let app = app.clone();
        async move { app.oneshot(r).await.unwrap().status() }
    };
    assert_eq!(status(socket(None)).await, StatusCode::UNAUTHORIZED);
    assert_eq!(
        status(socket(Some(as_stranger))).await,
        StatusCode::NOT_FOUND
    );
    let with_fake_link = Request::get(format!("/ws/maps/{map}?share={}", "ab".repeat(32)))
        .header(header::CONNECTION, "upgrade")
        .header(header::UPGRADE, "websocket")
        .header(header::SEC_WEBSOCKET_VERSION, "13")
        .header(header::SEC_WEBSOCKET_KEY, "dGhlIHNhbXBsZSBub25jZQ==")
        .body(Body::empty())
        .unwrap();
    assert_eq!(status(with_fake_link).await, StatusCode::NOT_FOUND);

    // A forged cross-site request is refused before anything else looks at it.
    let forged = Request::post("/maps/import")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::HOST, "waymark.example")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(status(forged).await, StatusCode::FORBIDDEN);

    for open in ["/healthz", "/readyz", "/login"] {
        assert_eq!(get(open.to_owned(), None).await, StatusCode::OK, "{open}");
    }
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
}
