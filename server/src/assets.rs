//! The built site's files (the browser bundle, styles, the follow script, icons), served under
//! `/v/{fingerprint}/…`. The fingerprint changes whenever a file of the site changes, so a page
//! names this build's files and the browser may keep them for ever: a second visit downloads
//! nothing. A release build carries brotli and gzip copies beside each file
//! (`cargo leptos build --release --precompress`), sent to browsers that accept them.
//!
//! The same files stay reachable at their plain paths (`/pkg/waymark.css`) through Leptos'
//! file handler, without the long cache lifetime.

use std::path::Path;

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
    /// The site's files, with their `.br` and `.gz` copies only while each is as new as its
    /// original: a debug build writes over the originals of an earlier release build and
    /// leaves its copies behind, and sending those would serve yesterday's bundle.
    files: ServeDir,
    version: String,
}

impl Assets {
    /// Fingerprints the files under `dir`. A missing directory (a test server without a
    /// built site) has a fingerprint too; its files are then simply not found.
    pub fn open(dir: &Path) -> Assets {
        let mut files = Vec::new();
        list(dir, dir, &mut files);
        files.sort();
        let stale = stale_copies(&files);
        if let Some(copy) = stale.first() {
            tracing::warn!(
                copy,
                count = stale.len(),
                "compressed copies older than their files: sending the files uncompressed \
                 or compressed on the fly (build with --precompress again)"
            );
        }
        let served = ServeDir::new(dir);
        let served = if stale.is_empty() {
            served.precompressed_br().precompressed_gzip()
        } else {
            served
        };
        Assets {
            files: served,
            version: fingerprint(&files),
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
    let mut response = match assets.files.oneshot(Request::from_parts(parts, body)).await {
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
fn fingerprint(files: &[File]) -> String {
    let mut digest = Sha256::new();
    for file in files {
        let line = format!("{} {} {}", file.name, file.len, file.modified);
        digest.update(line.as_bytes());
        digest.update(b"\n");
    }
    let digest = digest.finalize();
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// A file of the site: its path under the site's root, size and modification time (ns).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct File {
    name: String,
    len: u64,
    modified: u128,
}

/// The `.br` and `.gz` copies older than the file they are a copy of.
fn stale_copies(files: &[File]) -> Vec<String> {
    files
        .iter()
        .filter(|copy| {
            let original = copy
                .name
                .strip_suffix(".br")
                .or_else(|| copy.name.strip_suffix(".gz"));
            original.is_some_and(|original| {
                files
                    .iter()
                    .any(|f| f.name == original && f.modified > copy.modified)
            })
        })
        .map(|copy| copy.name.clone())
        .collect()
}

fn list(root: &Path, dir: &Path, out: &mut Vec<File>) {
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
        let name = path
            .strip_prefix(root)
            .unwrap_or(&path)
            .display()
            .to_string();
        out.push(File {
            name,
            len: meta.len(),
            modified,
        });
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
        let first = Assets::open(dir.path()).version;
        assert_eq!(first.len(), 16);
        let again = Assets::open(dir.path()).version;
        assert_eq!(again, first, "stable while nothing changes");
        std::fs::write(dir.path().join("pkg/app.js"), "three").unwrap();
        let changed = Assets::open(dir.path()).version;
        assert_ne!(changed, first, "a changed file changes it");
        let missing = Assets::open(&dir.path().join("absent"));
        assert_eq!(missing.version.len(), 16);
    }

    #[test]
    fn compressed_copies_older_than_their_file_are_not_sent() {
        let file = |name: &str, modified| File {
            name: name.into(),
            len: 1,
            modified,
        };
        let fresh = [
            file("pkg/a.js", 1),
            file("pkg/a.js.br", 2),
            file("pkg/a.js.gz", 1),
        ];
        assert!(stale_copies(&fresh).is_empty());
        let rebuilt = [
            file("pkg/a.js", 3),
            file("pkg/a.js.br", 2),
            file("pkg/b.css.gz", 1),
        ];
        assert_eq!(stale_copies(&rebuilt), vec!["pkg/a.js.br".to_owned()]);
    }
}
