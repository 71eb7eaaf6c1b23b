//! Configuration, read once at startup from flags and `WAYMARK_*` environment variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;

/// Waymark: customer journey maps, built together.
#[derive(Clone, Debug, Parser)]
#[command(name = "waymark", version, about)]
pub struct Config {
    /// Directory for Waymark's data (the SQLite database). Created if missing.
    #[arg(long, env = "WAYMARK_DATA_DIR", default_value = "waymark-data")]
    pub data_dir: PathBuf,

    /// Address and port to listen on.
    #[arg(long, env = "WAYMARK_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Directory of the built site: the wasm bundle, scripts, styles and public files.
    #[arg(long, env = "WAYMARK_SITE_DIR", default_value = "target/site")]
    pub site_dir: PathBuf,

    /// Log filter, in `tracing-subscriber`'s EnvFilter syntax.
    #[arg(long, env = "WAYMARK_LOG", default_value = "info,waymark=info")]
    pub log: String,
}

impl Config {
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("waymark.sqlite")
    }
}
