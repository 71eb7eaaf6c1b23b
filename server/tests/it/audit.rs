//! The audit log: actions are recorded with who, what and which map; only admins read it, on
//! the page's server function and as CSV and JSON; old rows are pruned.

use app::api::audit::{AuditEntry, AuditPage};
use app::domain::access::Role;
use app::domain::template::Template;
use axum::body::{to_bytes, Body};
use axum::http::{header, Request, StatusCode};
use axum::Router;
use tower::ServiceExt;

use crate::support::{new_map, path_of, person, Disk};

/// Calls the server function `name` with a form or JSON `body`: status and body.
async fn call(app: &Router, name: &str, body: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let request = crate::access::server_fn_call(&path_of(name), body, cookie);
    read(app.clone().oneshot(request).await.unwrap()).await
}

async fn get(app: &Router, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    let response = app
        .clone()
        .oneshot(request.body(Body::empty()).unwrap())
        .await
        .unwrap();
    read(response).await
}

async fn read(response: axum::response::Response) -> (StatusCode, String) {
    let status = response.status();
    let body = to_bytes(response.into_body(), 1 << 24).await.unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn encoded(email: &str) -> String {
    email.replace('@', "%40")
}

#[tokio::test]
async fn actions_are_recorded_and_only_admins_read_them() {
    let disk = Disk::new();
    let backend = disk.open();
    let (_, as_admin) = person(&backend, true, None).await;
    let map = new_map(&backend, Template::Blank).await;
    let (owner, as_owner) = person(&backend, false, Some((map, Role::Owner))).await;
    let app = disk.bare_router(backend.clone());

    // A wrong password, then the right one.
    let email = encoded(&owner.email);
    let (status, _) = call(
        &app,
        "log_in",
        &format!("email={email}&password=not+the+password"),
        None,
    )
    .await;
    assert!(status.is_client_error(), "{status}");
    let (status, _) = call(
        &app,
        "log_in",
        &format!("email={email}&password=a+long+password"),
        None,
    )
    .await;
    assert!(status.is_success() || status.is_redirection(), "{status}");

    // A share link made and revoked, an API key, an export and the map's deletion.
    let (status, made) = call(
        &app,
        "create_share_link",
        &format!("map={map}&label=Partners"),
        Some(&as_owner),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{made}");
    let made: app::api::sharing::NewShareLink = serde_json::from_str(&made).unwrap();
    let link = made.link.id;
    let (status, _) = call(
        &app,
        "revoke_share_link",
        &format!("map={map}&link={link}"),
        Some(&as_owner),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, key) = call(
        &app,
        "create_api_key",
        &format!("map={map}&label=Zapier"),
        Some(&as_owner),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{key}");
    let key: app::api::feedback::NewApiKey = serde_json::from_str(&key).unwrap();
    let (status, _) = get(&app, &format!("/maps/{map}/export/csv"), Some(&as_owner)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(&app, "delete_map", &format!("id={map}"), Some(&as_owner)).await;
    assert_eq!(status, StatusCode::OK);

    // The admin reads them all, newest first.
    let (status, page) = call(&app, "audit_log", r#"{"query":{}}"#, Some(&as_admin)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let page: AuditPage = serde_json::from_str(&page).unwrap();
    let actions: Vec<&str> = page.entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "map_deleted",
            "map_exported",
            "api_key_created",
            "share_link_revoked",
            "share_link_created",
            "sign_in",
            "sign_in_failed",
        ]
    );
    assert!(page.older.is_none());
    for entry in &page.entries {
        assert_eq!(entry.actor_label, owner.email, "{entry:?}");
        if entry.action.starts_with("sign_in") {
            assert_eq!(entry.map, None);
        } else {
            assert_eq!(entry.map, Some(map.to_string()), "{entry:?}");
            assert_eq!(entry.actor, Some(owner.id.to_string()), "{entry:?}");
        }
    }
    let exported = &page.entries[1];
    assert_eq!(exported.detail.as_deref(), Some("csv"));
    assert_eq!(
        page.entries[4].target.as_deref(),
        Some(link.to_string().as_str())
    );

    // No secret is written anywhere in the log.
    let (status, all) = get(&app, "/admin/audit.json", Some(&as_admin)).await;
    assert_eq!(status, StatusCode::OK);
    for secret in [made.token.as_str(), key.secret.as_str(), "not the password"] {
        assert!(!all.contains(secret), "{secret} in the log");
    }

    // The exports carry the filtered rows only.
    let (status, json) = get(
        &app,
        &format!("/admin/audit.json?action=share_link_created&map={map}"),
        Some(&as_admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<AuditEntry> = serde_json::from_str(&json).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].action, "share_link_created");
    let (status, csv) = get(
        &app,
        "/admin/audit.csv?action=sign_in_failed",
        Some(&as_admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 2, "{csv}");
    assert!(lines[0].starts_with("at,actor,"));
    assert!(lines[1].contains("sign_in_failed") && lines[1].contains(&owner.email));
    let (_, long_ago) = get(
        &app,
        "/admin/audit.csv?action=sign_in_failed&from=2000-01-01&to=2000-01-02",
        Some(&as_admin),
    )
    .await;
    assert_eq!(long_ago.lines().count(), 1, "{long_ago}");
    let (_, today) = get(
        &app,
        &format!(
            "/admin/audit.json?from=2000-01-01&to={}",
            app::domain::time::iso(server::clock::now_millis())
                .get(..10)
                .unwrap()
        ),
        Some(&as_admin),
    )
    .await;
    let rows: Vec<AuditEntry> = serde_json::from_str(&today).unwrap();
    assert_eq!(rows.len(), 7, "the range's last day is included");

    // The admin page shows the log as a table.
    let (status, html) = get(&app, "/admin", Some(&as_admin)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("Audit log") && html.contains("share link revoked"),
        "{html}"
    );

    let (status, _) = get(&app, "/admin/audit.csv?action=nonsense", Some(&as_admin)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Nobody else reads it.
    for cookie in [None, Some(as_owner.as_str())] {
        let want = if cookie.is_some() {
            StatusCode::FORBIDDEN
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(
            call(&app, "audit_log", "{\"query\":{}}", cookie).await.0,
            want
        );
        assert_eq!(get(&app, "/admin/audit.csv", cookie).await.0, want);
        assert_eq!(get(&app, "/admin/audit.json", cookie).await.0, want);
    }
}

#[tokio::test]
async fn pruning_removes_rows_older_than_the_retention_only() {
    let disk = Disk::new();
    let backend = disk.open();
    let day = 24 * 3_600_000;
    let now = 1_800_000_000_000_i64;
    backend
        .db
        .writer()
        .write(move |conn| {
            for age in [400, 40, 31, 29, 1] {
                let row = server::db::audit::NewRow {
                    at: now - age * day,
                    actor: None,
                    actor_label: format!("{age} days old"),
                    action: "sign_out",
                    map: None,
                    target: None,
                    detail: None,
                    ip: None,
                };
                server::db::audit::insert(conn, &row)?;
            }
            Ok(())
        })
        .await
        .unwrap();
    let gone = server::audit::prune(&backend.db, 30, now).await.unwrap();
    assert_eq!(gone, 3);
    let left = backend
        .db
        .read(|conn| server::db::audit::page(conn, &Default::default(), 100))
        .await
        .unwrap();
    let labels: Vec<&str> = left
        .entries
        .iter()
        .map(|e| e.actor_label.as_str())
        .collect();
    assert_eq!(labels, ["1 days old", "29 days old"]);
}

#[tokio::test]
async fn role_changes_name_the_member_by_email() {
    let disk = Disk::new();
    let backend = disk.open();
    let (admin, as_admin) = person(&backend, true, None).await;
    let map = new_map(&backend, Template::Blank).await;
    let (_, as_owner) = person(&backend, false, Some((map, Role::Owner))).await;
    let (member, _) = person(&backend, false, Some((map, Role::Viewer))).await;
    let app = disk.bare_router(backend.clone());
    let id = member.id;
    let (status, _) = call(
        &app,
        "set_member_role",
        &format!("map={map}&user={id}&role=editor"),
        Some(&as_owner),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = call(
        &app,
        "set_admin",
        &format!("user={id}&admin=true"),
        Some(&as_admin),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (_, json) = get(&app, "/admin/audit.json", Some(&as_admin)).await;
    let rows: Vec<AuditEntry> = serde_json::from_str(&json).unwrap();
    let seen: Vec<(&str, Option<&str>, Option<&str>)> = rows
        .iter()
        .map(|r| (r.action.as_str(), r.target.as_deref(), r.detail.as_deref()))
        .collect();
    assert_eq!(
        seen,
        [
            (
                "admin_changed",
                Some(member.email.as_str()),
                Some("made admin")
            ),
            (
                "member_role_changed",
                Some(member.email.as_str()),
                Some("Editor")
            ),
        ]
    );
    assert_eq!(rows[0].actor_label, admin.email);
}
