//! The built site's files (the browser bundle, styles, the follow script, icons), served under
//! `/v/{fingerprint}/…`. The fingerprint changes whenever a file of the site changes, so a page
//! names this build's files and the browser may keep them for ever: a second visit downloads
//! nothing. A release build carries brotli and gzip copies beside each file
//! (`cargo leptos build --release --precompress`), sent to browsers that accept them.
//!
//! The same files stay reachable at their plain paths (`/pkg/waymark.css`) through Leptos'
//! file handler, without the long cache lifetime.

use std::path::{Path, PathBuf};

use axum::extract::{Path as UrlPath, Request};
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// The route of every versioned file.
pub const PATH: &str = "/v/{version}/{*file}";

const FOREVER: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");
/// For a page of an earlier build asking for its files: it gets today's, checked every time.
const REVALIDATE: HeaderValue = HeaderValue::from_static("no-cache");

/// This build's site files and the prefix pages load them from.
#[derive(Clone, Debug)]
pub struct Assets {
    dir: PathBuf,
    version: String,
}

impl Assets {
    /// Fingerprints the files under `dir`. A missing directory (a test server without a
    /// built site) has a fingerprint too; its files are then simply not found.
    pub fn open(dir: &Path) -> Assets {
        Assets {
            dir: dir.to_owned(),
            version: fingerprint(dir),
        }
    }

    /// `/v/{fingerprint}`, for the page shell.
    pub fn root(&self) -> String {
        format!("/v/{}", self.version)
    }

    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let assets = self.clone();
        Router::new().route(
            PATH,
            get(move |url, request| serve(assets.clone(), url, request)),
        )
    }
}

async fn serve(
    assets: Assets,
    UrlPath((version, file)): UrlPath<(String, String)>,
    request: Request,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(uri) = format!("/{file}").parse::<Uri>() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    parts.uri = uri;
    let files = ServeDir::new(&assets.dir)
        .precompressed_br()
        .precompressed_gzip();
    let mut response = match files.oneshot(Request::from_parts(parts, body)).await {
        Ok(response) => response.into_response(),
        Err(never) => match never {},
    };
    if response.status().is_success() {
        let lifetime = if version == assets.version {
            FOREVER
        } else {
            REVALIDATE
        };
        let headers = response.headers_mut();
        headers.insert(CACHE_CONTROL, lifetime);
        // The same address answers with brotli, gzip or plain bytes.
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
    }
    response
}

/// A short digest of every file's path, size and modification time. Reading the metadata
/// rather than the contents keeps start-up instant; a rebuild rewrites what it changes, so
/// the fingerprint follows (it may also change when only the times do, which costs a
/// download, never a stale file).
fn fingerprint(dir: &Path) -> String {
    let mut files = Vec::new();
    list(dir, dir, &mut files);
    files.sort();
    let mut digest = Sha256::new();
    for line in files {
        digest.update(line.as_bytes());
        digest.update(b"\n");
    }
    let digest = digest.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

fn list(root: &Path, dir: &Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = entry.metadata() else { continue };
        if meta.is_dir() {
            list(root, &path, out);
            continue;
        }
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        let name = path.strip_prefix(root).unwrap_or(&path).display();
        out.push(format!("{name} {} {modified}", meta.len()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fingerprint_follows_the_files() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("pkg")).unwrap();
        std::fs::write(dir.path().join("pkg/app.js"), "one").unwrap();
        let first = fingerprint(dir.path());
        assert_eq!(first.len(), 16);
        assert_eq!(
            fingerprint(dir.path()),
            first,
            "stable while nothing changes"
        );
        std::fs::write(dir.path().join("pkg/app.js"), "three").unwrap();
        assert_ne!(fingerprint(dir.path()), first, "a changed file changes it");
        let missing = fingerprint(&dir.path().join("absent"));
        assert_eq!(missing.len(), 16);
    }
}
