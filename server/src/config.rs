//! Configuration and commands, read once at startup from flags and `WAYMARK_*` environment
//! variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::db::Checkpoints;

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

    /// Who copies the write-ahead log back into the database file: `passive`, Waymark's own
    /// thread; `off`, Litestream (`litestream replicate`), which must do it itself so that it
    /// replicates every frame first. Use `off` only under Litestream.
    #[arg(long, env = "WAYMARK_CHECKPOINTS", value_enum, default_value_t = Checkpoints::Passive, global = true)]
    pub checkpoints: Checkpoints,
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

    /// Seconds notifications (mentions, replies, unhappy answers, reviews due) gather before
    /// they go to each person as one email.
    #[arg(
        long,
        env = "WAYMARK_NOTIFICATION_DELAY",
        default_value_t = 300,
        global = true
    )]
    pub notification_delay: u64,

    /// Log line format: `text` for people, `json` for log collectors.
    #[arg(long, env = "WAYMARK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,

    #[command(flatten)]
    pub sso: SsoConfig,
}

/// Single sign-on with an OpenID provider: on when the issuer and client id are set.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct SsoConfig {
    /// The OpenID provider's issuer URL (its discovery document is at
    /// `<issuer>/.well-known/openid-configuration`), e.g. `https://accounts.google.com`.
    #[arg(long, env = "WAYMARK_OIDC_ISSUER", global = true)]
    pub oidc_issuer: Option<String>,

    /// Waymark's client id at the provider.
    #[arg(long, env = "WAYMARK_OIDC_CLIENT_ID", global = true)]
    pub oidc_client_id: Option<String>,

    /// Waymark's client secret at the provider (prefer the environment variable: flags show in
    /// process lists). Leave unset for a public client.
    #[arg(
        long,
        env = "WAYMARK_OIDC_CLIENT_SECRET",
        global = true,
        hide_env_values = true
    )]
    pub oidc_client_secret: Option<String>,

    /// Email domains, comma-separated, whose people get an account at their first single
    /// sign-on without an invitation (e.g. `example.com`).
    #[arg(
        long,
        env = "WAYMARK_OIDC_ALLOWED_DOMAINS",
        value_delimiter = ',',
        global = true
    )]
    pub oidc_allowed_domains: Vec<String>,

    /// Single sign-on only: password sign-in, set-up and accounts are refused.
    #[arg(long, env = "WAYMARK_OIDC_ONLY", global = true)]
    pub oidc_only: bool,

    /// The provider's name on the sign-in button ("Sign in with …").
    #[arg(
        long,
        env = "WAYMARK_OIDC_NAME",
        default_value = "single sign-on",
        global = true
    )]
    pub oidc_name: String,
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
                .map(|settings| {
                    settings
                        .with_digest_delay(std::time::Duration::from_secs(self.notification_delay))
                })
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
            sso: self.sso_settings(public_origin_or(self))?,
        })
    }

    /// Single sign-on's settings, checked: `None` when it is off; a half-made configuration is
    /// refused rather than quietly ignored.
    fn sso_settings(
        &self,
        origin: Option<String>,
    ) -> Result<Option<crate::oidc::Settings>, String> {
        let sso = &self.sso;
        let domains = sso
            .oidc_allowed_domains
            .iter()
            .map(|d| d.trim().trim_start_matches('@').to_ascii_lowercase())
            .filter(|d| !d.is_empty())
            .collect::<Vec<_>>();
        let (issuer, client_id) = match (&sso.oidc_issuer, &sso.oidc_client_id) {
            (Some(issuer), Some(id)) => (issuer.trim(), id.trim()),
            (None, None) => {
                if sso.oidc_only || !domains.is_empty() || sso.oidc_client_secret.is_some() {
                    return Err("single sign-on needs --oidc-issuer and --oidc-client-id \
                        (WAYMARK_OIDC_ISSUER, WAYMARK_OIDC_CLIENT_ID)"
                        .into());
                }
                return Ok(None);
            }
            (Some(_), None) => {
                return Err("--oidc-issuer is set but --oidc-client-id is not".into())
            }
            (None, Some(_)) => {
                return Err("--oidc-client-id is set but --oidc-issuer is not".into())
            }
        };
        check_issuer(issuer)?;
        if client_id.is_empty() {
            return Err("--oidc-client-id is empty".into());
        }
        if let Some(bad) = domains
            .iter()
            .find(|d| !d.contains('.') || d.contains(|c: char| c.is_whitespace() || c == '@'))
        {
            return Err(format!(
                "--oidc-allowed-domains: {bad:?} is not a domain like example.com"
            ));
        }
        let Some(origin) = origin else {
            return Err(
                "single sign-on needs --public-url (the address the provider sends \
                people back to) unless Waymark listens on a loopback address"
                    .into(),
            );
        };
        Ok(Some(crate::oidc::Settings {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: client_id.to_owned(),
            client_secret: sso.oidc_client_secret.clone().filter(|s| !s.is_empty()),
            redirect_url: format!("{origin}{}", crate::oidc::CALLBACK),
            allowed_domains: domains,
            only: sso.oidc_only,
            label: sso.oidc_name.trim().to_owned(),
        }))
    }
}

/// The origin people reach Waymark at: `--public-url`, or the listening address when that is a
/// loopback one (a test, or a try-out on one's own machine).
fn public_origin_or(config: &Config) -> Option<String> {
    match config.public_url.as_deref().map(parse_origin) {
        Some(origin) => origin.ok(),
        None => config
            .addr
            .ip()
            .is_loopback()
            .then(|| format!("http://{}", config.addr)),
    }
}

/// An issuer must be HTTPS, except on loopback (a provider on this machine, as in the tests).
fn check_issuer(issuer: &str) -> Result<(), String> {
    let url = openidconnect::url::Url::parse(issuer)
        .map_err(|e| format!("--oidc-issuer {issuer:?} is not a URL: {e}"))?;
    let loopback = match url.host() {
        Some(openidconnect::url::Host::Domain(host)) => host == "localhost",
        Some(openidconnect::url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(openidconnect::url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        _ => Err(format!("--oidc-issuer {issuer:?} must be an https:// URL")),
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

    fn sso(args: &[&str]) -> Result<Option<crate::oidc::Settings>, String> {
        let cli =
            Cli::try_parse_from([&["waymark"][..], args].concat()).map_err(|e| e.to_string())?;
        cli.config.site().map(|site| site.sso)
    }

    #[test]
    fn single_sign_on_is_off_unless_configured_and_half_a_configuration_is_refused() {
        assert_eq!(sso(&[]).unwrap(), None);
        let on = sso(&[
            "--oidc-issuer",
            "https://id.example.com/",
            "--oidc-client-id",
            "waymark",
            "--oidc-allowed-domains",
            "Example.com, @corp.example.com",
            "--public-url",
            "https://maps.example.com",
        ])
        .unwrap()
        .unwrap();
        assert_eq!(on.issuer, "https://id.example.com");
        assert_eq!(
            on.redirect_url,
            "https://maps.example.com/auth/oidc/callback"
        );
        assert_eq!(on.allowed_domains, ["example.com", "corp.example.com"]);
        assert!(!on.only);
        let loopback = sso(&[
            "--oidc-issuer",
            "http://127.0.0.1:4000",
            "--oidc-client-id",
            "w",
        ]);
        assert_eq!(
            loopback.unwrap().unwrap().redirect_url,
            "http://127.0.0.1:3000/auth/oidc/callback"
        );
        for half in [
            &["--oidc-issuer", "https://id.example.com"][..],
            &["--oidc-client-id", "waymark"],
            &["--oidc-only"],
            &["--oidc-allowed-domains", "example.com"],
            &[
                "--oidc-issuer",
                "http://id.example.com",
                "--oidc-client-id",
                "w",
            ],
            &[
                "--oidc-issuer",
                "https://id.example.com",
                "--oidc-client-id",
                "w",
                "--addr",
                "0.0.0.0:3000",
            ],
            &[
                "--oidc-issuer",
                "https://id.example.com",
                "--oidc-client-id",
                "w",
                "--oidc-allowed-domains",
                "nodot",
            ],
        ] {
            assert!(sso(half).is_err(), "{half:?}");
        }
    }

    #[test]
    fn checkpoints_are_waymarks_own_unless_left_to_litestream() {
        let cli = Cli::try_parse_from(["waymark"]).unwrap();
        assert_eq!(cli.config.checkpoints, Checkpoints::Passive);
        let cli = Cli::try_parse_from(["waymark", "serve", "--checkpoints", "off"]).unwrap();
        assert_eq!(cli.config.checkpoints, Checkpoints::Off);
        assert!(Cli::try_parse_from(["waymark", "--checkpoints", "truncate"]).is_err());
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
