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
    /// Create an admin account. The password is read from WAYMARK_ADMIN_PASSWORD, or from the
    /// first line of standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
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

    /// The address people reach Waymark at, e.g. `https://maps.example.com`, when it is
    /// served through a proxy. Requests from other origins are refused, and with `https`
    /// cookies are marked Secure.
    #[arg(long, env = "WAYMARK_PUBLIC_URL", global = true)]
    pub public_url: Option<String>,

    /// Origins allowed to show read-only embeds in a frame, comma-separated
    /// (e.g. `https://intranet.example.com`). Every other page refuses to be framed.
    #[arg(
        long,
        env = "WAYMARK_EMBED_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub embed_origins: Vec<String>,

    /// Reverse proxies (addresses or networks like 10.0.0.0/8, comma-separated) whose
    /// `Forwarded` and `X-Forwarded-For` headers name the client; nobody else's are believed.
    #[arg(
        long,
        env = "WAYMARK_TRUSTED_PROXIES",
        value_delimiter = ',',
        global = true
    )]
    pub trusted_proxies: Vec<String>,

    /// Address and port to serve Prometheus metrics on (`GET /metrics`), e.g.
    /// `127.0.0.1:9100`. Off unless set. Never served on `--addr`: keep this port private.
    #[arg(long, env = "WAYMARK_METRICS_ADDR", global = true)]
    pub metrics_addr: Option<SocketAddr>,

    /// Days to keep the audit log's rows (sign-ins, access changes, exports, deletions…);
    /// older ones are removed at start and daily. 0 keeps them for ever.
    #[arg(long, env = "WAYMARK_AUDIT_DAYS", default_value_t = DEFAULT_AUDIT_DAYS, global = true)]
    pub audit_days: u32,

    /// SMTP server to send mail through (password resets, invitations), e.g.
    /// `smtp://127.0.0.1:2525` (plain, for a relay on this machine),
    /// `smtp://user:password@mail.example.com:587?tls=required` (STARTTLS) or
    /// `smtps://user:password@mail.example.com` (TLS). Mail is off unless set; then
    /// --smtp-from and --public-url are needed too.
    #[arg(long, env = "WAYMARK_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The address mail comes from, e.g. `Waymark <maps@example.com>`.
    #[arg(long, env = "WAYMARK_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,

    /// Log line format: `text` for people, `json` for log collectors.
    #[arg(long, env = "WAYMARK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
}

/// How long the audit log is kept unless configured: a year, long enough to look back on an
/// incident found late.
pub const DEFAULT_AUDIT_DAYS: u32 = 365;

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

/// An origin as browsers send it: `scheme://host[:port]`, nothing more.
pub fn parse_origin(raw: &str) -> Result<String, String> {
    let raw = raw.trim().trim_end_matches('/');
    let (scheme, rest) = raw
        .split_once("://")
        .ok_or_else(|| format!("{raw:?} is not an origin like https://example.com"))?;
    let host_ok = !rest.is_empty()
        && rest
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    if !matches!(scheme, "http" | "https") || !host_ok {
        return Err(format!("{raw:?} is not an origin like https://example.com"));
    }
    Ok(format!("{scheme}://{}", rest.to_ascii_lowercase()))
}

impl Config {
    /// The site settings the router needs, checked.
    pub fn site(&self) -> Result<crate::state::SiteConfig, String> {
        let public_origin = self.public_url.as_deref().map(parse_origin).transpose()?;
        let embed_origins = self
            .embed_origins
            .iter()
            .filter(|o| !o.trim().is_empty())
            .map(|o| parse_origin(o))
            .collect::<Result<Vec<_>, _>>()?;
        let mail = self
            .smtp_url
            .as_deref()
            .map(|url| {
                crate::mail::MailSettings::new(
                    url,
                    self.smtp_from.as_deref(),
                    public_origin.as_deref(),
                )
            })
            .transpose()
            .map_err(|e| e.to_string())?;
        Ok(crate::state::SiteConfig {
            mail,
            secure_cookies: public_origin
                .as_deref()
                .is_some_and(|o| o.starts_with("https://")),
            public_origin,
            embed_origins,
            trusted_proxies: crate::proxies::TrustedProxies::parse(&self.trusted_proxies)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_log_is_kept_a_year_unless_told() {
        let cli = Cli::try_parse_from(["waymark"]).unwrap();
        assert_eq!(cli.config.audit_days, DEFAULT_AUDIT_DAYS);
        let cli = Cli::try_parse_from(["waymark", "serve", "--audit-days", "0"]).unwrap();
        assert_eq!(cli.config.audit_days, 0);
        assert!(Cli::try_parse_from(["waymark", "--audit-days", "-1"]).is_err());
    }

    #[test]
    fn mail_is_off_unless_an_smtp_url_is_given_and_then_needs_a_sender_and_a_public_url() {
        let site = |args: &[&str]| {
            let mut all = vec!["waymark"];
            all.extend_from_slice(args);
            Cli::try_parse_from(all).unwrap().config.site()
        };
        assert!(site(&[]).unwrap().mail.is_none());
        let url = ["--smtp-url", "smtp://127.0.0.1:2525"];
        let from = ["--smtp-from", "Waymark <maps@example.com>"];
        let public = ["--public-url", "https://maps.example.com"];
        assert!(site(&[&url[..], &from[..]].concat()).is_err());
        assert!(site(&[&url[..], &public[..]].concat()).is_err());
        let mail = site(&[&url[..], &from[..], &public[..]].concat())
            .unwrap()
            .mail;
        assert_eq!(mail.unwrap().server(), "127.0.0.1:2525");
    }

    #[test]
    fn origins_are_checked() {
        assert_eq!(
            parse_origin("https://Intranet.Example.com/").unwrap(),
            "https://intranet.example.com"
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "intranet.example.com",
            "javascript://x",
            "https://a.com/path",
            "https://a.com; script-src *",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
