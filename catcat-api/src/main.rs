//! `catcat-api [serve]` runs the service; `catcat-api migrate` applies the migrations and exits;
//! `catcat-api help` lists the commands and the environment variables.

use catcat_api::config::Config;

/// jemalloc: as fast as mimalloc on this service's load and far leaner. It gives the 19 MiB of
/// each password hash back to the system (mimalloc and glibc kept it: 41-43 MB resident after one
/// login against 12 MB), and holds ~46 MB under 400 connections against ~65-88 MB with mimalloc
/// (figures and commands in the session notes of issue 4).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
use catcat_api::startup::{Application, migrate_only};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let command = std::env::args().nth(1);
    if let Some("help" | "-h" | "--help") = command.as_deref() {
        std::io::Write::write_all(&mut std::io::stdout(), catcat_api::config::USAGE.as_bytes())?;
        return Ok(());
    }
    let config = Config::from_env()?;
    catcat_api::telemetry::init(config.env);
    match command.as_deref() {
        None | Some("serve") => {
            let app = Application::build(config).await?;
            tracing::info!(port = app.port(), "listening");
            app.run_until_stopped().await?;
        }
        Some("migrate") => {
            let ran = migrate_only(&config).await?;
            tracing::info!(ran, "migrations applied");
        }
        Some(other) => anyhow::bail!("unknown command `{other}`; use `serve`, `migrate` or `help`"),
    }
    Ok(())
}
