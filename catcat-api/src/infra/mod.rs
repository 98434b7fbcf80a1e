//! What the service talks to: ids, the key-value store, tokens, passwords, SMS.

pub mod cache;
pub mod ids;
pub mod kv;
pub mod lease;
pub mod limiter;
pub mod local_cache;
pub mod passwords;
pub mod queue;
pub mod sms;
pub mod stripe;
pub mod tokens;
