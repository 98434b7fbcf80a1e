//! Logging: JSON lines outside dev, readable lines in dev; `RUST_LOG` filters.

use tracing_subscriber::EnvFilter;

use crate::config::Env;

/// Installs the global subscriber (once; later calls do nothing).
pub fn init(env: Env) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    // Escape codes only for a person at a terminal, never into a file or a log collector.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi);
    let _ = match env {
        Env::Prod => builder.json().flatten_event(true).try_init(),
        Env::Dev => builder.compact().try_init(),
    };
}

/// An error and its causes in one line, `error: cause: cause…`, for the log.
pub fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        next = cause.source();
    }
    text
}
