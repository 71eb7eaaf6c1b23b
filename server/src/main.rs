//! The `waymark` binary: read the command line, then serve or run a maintenance command.

use std::fs::File;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context};
use clap::Parser;
use server::config::{Cli, Command, Config, LogFormat};
use server::db;
use server::service::Service;
use tracing_subscriber::EnvFilter;

// Rendering a big map allocates and frees hundreds of thousands of small values per page;
// under glibc's allocator a third of a 2,000-card render went to malloc and free (profiled).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = cli.config;
    let filter = EnvFilter::try_new(&config.log).context("invalid WAYMARK_LOG filter")?;
    match config.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .init(),
    }
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(&config).await,
        Command::Backup { file } => {
            if file.exists() {
                bail!(
                    "{} exists already; choose a new file for the backup",
                    file.display()
                );
            }
            let bytes = db::backup(&config.database_path(), &file)
                .with_context(|| format!("backup to {} failed", file.display()))?;
            tracing::info!(file = %file.display(), bytes, "backup complete");
            Ok(())
        }
        Command::Restore { file } => restore(&config, &file),
        Command::CreateAdmin { email, name } => create_admin(&config, &email, &name).await,
        Command::Migrate => {
            let path = config.database_path();
            db::Db::open(&path).with_context(|| format!("cannot migrate {}", path.display()))?;
            tracing::info!(database = %path.display(), schema = db::latest_schema(), "database is up to date");
            Ok(())
        }
    }
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    // Held while serving, so that `waymark restore` refuses to swap the database underneath.
    let lock = File::create(config.lock_path()).context("cannot create the lock file")?;
    if lock.try_lock().is_err() {
        bail!(
            "another Waymark is serving from {}",
            config.data_dir.display()
        );
    }
    let site = config.site().map_err(anyhow::Error::msg)?;
    if config.metrics_addr.is_some() {
        // Before the database opens, so that what the start writes is counted too.
        server::telemetry::install().map_err(anyhow::Error::msg)?;
    }
    let path = config.database_path();
    if config.checkpoints == db::Checkpoints::Off {
        tracing::info!("checkpoints are left to Litestream (--checkpoints off)");
    }
    let service = Service::open_with(&path, &config.site_dir, site, config.checkpoints)
        .await
        .with_context(|| format!("cannot open the database {}", path.display()))?
        .with_metrics(config.metrics_addr)
        .with_audit_days(config.audit_days);
    service
        .run(
            config.addr,
            |addr| tracing::info!(url = %format!("http://{addr}"), database = %path.display(), "Waymark is serving"),
            shutdown_signal(),
        )
        .await?;
    drop(lock);
    Ok(())
}

fn restore(config: &Config, file: &std::path::Path) -> anyhow::Result<()> {
    let lock = File::create(config.lock_path()).context("cannot create the lock file")?;
    if lock.try_lock().is_err() {
        bail!(
            "Waymark is running on {}; stop it before restoring",
            config.data_dir.display()
        );
    }
    let schema = db::check_restorable(file).map_err(anyhow::Error::msg)?;
    let target = config.database_path();
    let staged = config.data_dir.join("waymark.sqlite.restoring");
    std::fs::copy(file, &staged).context("cannot copy the backup into the data directory")?;
    File::open(&staged)
        .and_then(|f| f.sync_all())
        .context("cannot flush the copied backup to disk")?;
    let mut kept = None;
    if target.exists() {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let aside = config
            .data_dir
            .join(format!("waymark.sqlite.before-restore-{stamp}"));
        set_aside(&target, &aside)?;
        tracing::info!(kept = %aside.display(), "the previous database is kept");
        kept = Some(aside);
    }
    std::fs::rename(&staged, &target).context("cannot move the restored database into place")?;
    // For the audit log, which the next start writes (the restored file may predate it).
    if let Err(err) = server::audit::note_restore(&config.data_dir, file, kept.as_deref()) {
        tracing::warn!(%err, "cannot leave the restore note; the audit log will not show this restore");
    }
    sync_dir(&config.data_dir)?;
    tracing::info!(from = %file.display(), schema, "database restored; start Waymark to use it");
    Ok(())
}

/// Moves the database at `from` to `to` with everything that belongs to it: its write-ahead log
/// is folded in first (the newest commits may be only there), and whatever is left of the log
/// moves beside it, so that the copy kept is the database as it was, not an older one.
fn set_aside(from: &std::path::Path, to: &std::path::Path) -> anyhow::Result<()> {
    let side = |path: &std::path::Path, suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        std::path::PathBuf::from(name)
    };
    // Best effort: a damaged database may refuse, and then its log moves with it as it is.
    if let Ok(conn) = rusqlite::Connection::open(from) {
        let folded = conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()));
        if let Err(err) = folded.and(conn.close().map_err(|(_, err)| err)) {
            tracing::warn!(%err, "cannot fold the write-ahead log into the old database; keeping it beside");
        }
    }
    std::fs::rename(from, to).context("cannot set the current database aside")?;
    for suffix in ["-wal", "-shm"] {
        let (log, kept) = (side(from, suffix), side(to, suffix));
        if log.exists() {
            std::fs::rename(&log, &kept)
                .with_context(|| format!("cannot move {} aside", log.display()))?;
        }
    }
    Ok(())
}

/// Makes the renames in `dir` durable.
fn sync_dir(dir: &std::path::Path) -> anyhow::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("cannot flush {} to disk", dir.display()))
}

async fn create_admin(config: &Config, email: &str, name: &str) -> anyhow::Result<()> {
    use app::api::auth::User;
    use app::domain::account::{Email, Password};
    use app::domain::ids::UserId;
    use app::domain::text::Name;
    use server::secrets::{Passwords, Priority};

    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("email: {e}"))?;
    let name = Name::parse(name).map_err(|e| anyhow::anyhow!("name: {e}"))?;
    let password = match std::env::var("WAYMARK_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password")?;
            line.trim_end_matches(['\n', '\r']).to_owned()
        }
    };
    let password = Password::new(&password).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let path = config.database_path();
    let (db, _) = db::Db::open(&path).with_context(|| format!("cannot open {}", path.display()))?;
    let hash = Passwords::new(1)
        .hash(password.expose(), Priority::Clean)
        .await?;
    let user = User {
        id: UserId::from_uuid(uuid::Uuid::new_v4()),
        email: email.to_string(),
        name: name.to_string(),
        is_admin: true,
    };
    let stored = user.clone();
    db.writer()
        .write(move |conn| {
            db::accounts::insert_user(conn, &stored, &hash, server::clock::now_millis())
        })
        .await?;
    tracing::info!(email = %user.email, "admin account created");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
