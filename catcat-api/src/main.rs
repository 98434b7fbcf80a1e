//! `catcat-api [serve]` runs the service; `catcat-api migrate` applies the migrations and exits.

use catcat_api::config::Config;

/// mimalloc returns freed memory to the system and allocates faster than glibc under this
/// load (measured in the session notes).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
use catcat_api::startup::{Application, migrate_only};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::from_env()?;
    catcat_api::telemetry::init(config.env);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {
            let app = Application::build(config).await?;
            tracing::info!(port = app.port(), "listening");
            app.run_until_stopped().await?;
        }
        Some("migrate") => {
            let ran = migrate_only(&config).await?;
            tracing::info!(ran, "migrations applied");
        }
        Some(other) => anyhow::bail!("unknown command `{other}`; use `serve` or `migrate`"),
    }
    Ok(())
}
