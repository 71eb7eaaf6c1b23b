//! Configuration and commands, read once at startup from flags and `WAYMARK_*` environment
//! variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Waymark: customer journey maps, built together.
#[derive(Clone, Debug, Parser)]
#[command(name = "waymark", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Clone, Debug, Subcommand)]
pub enum Command {
    /// Serve Waymark (the default).
    Serve,
    /// Copy the database to FILE with SQLite's online backup; safe while the server runs.
    Backup { file: PathBuf },
    /// Replace the database with FILE (a backup). The server must be stopped; the current
    /// database is kept beside it as `waymark.sqlite.before-restore-<time>`.
    Restore { file: PathBuf },
    /// Bring the database's schema up to date, then exit.
    Migrate,
}

#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Directory for Waymark's data (the SQLite database). Created if missing.
    #[arg(
        long,
        env = "WAYMARK_DATA_DIR",
        default_value = "waymark-data",
        global = true
    )]
    pub data_dir: PathBuf,

    /// Address and port to listen on.
    #[arg(
        long,
        env = "WAYMARK_ADDR",
        default_value = "127.0.0.1:3000",
        global = true
    )]
    pub addr: SocketAddr,

    /// Directory of the built site: the wasm bundle, scripts, styles and public files.
    #[arg(
        long,
        env = "WAYMARK_SITE_DIR",
        default_value = "target/site",
        global = true
    )]
    pub site_dir: PathBuf,

    /// Log filter, in `tracing-subscriber`'s EnvFilter syntax.
    #[arg(long, env = "WAYMARK_LOG", default_value = "info", global = true)]
    pub log: String,

    /// Log line format: `text` for people, `json` for log collectors.
    #[arg(long, env = "WAYMARK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

impl Config {
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("waymark.sqlite")
    }

    /// Held by a running server, so `restore` can tell it must not touch the database.
    pub fn lock_path(&self) -> PathBuf {
        self.data_dir.join("waymark.lock")
    }
}
