//! The workflows: what the service does, with no HTTP in sight. Each takes the shared state
//! and a [`Caller`], checks the rules (`domain`), reads and writes through the repositories
//! (`repos`) and the infrastructure (`infra`), and answers a typed result or an [`AppError`].
//! `http/` translates requests into these calls and their outcomes into answers; the queue
//! consumer (`worker`) calls the same workflows.

pub mod admin;
pub mod auth;
pub mod booking;
pub mod catalog;
pub mod error;
pub mod idempotency;
pub mod limits;
pub mod orders;
pub mod payments;
pub mod pets;
pub mod progress;
pub mod providers;
pub mod reviews;
pub mod sessions;
pub mod users;

pub use error::{AppError, AppResult};

use crate::domain::UserRole;

/// Who is asking: the user of a valid access token, with their role as it is now
/// ([`sessions::caller`]).
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// User id.
    pub id: i64,
    /// Role now (not as the token says).
    pub role: UserRole,
}

impl Caller {
    /// Whether the caller is an administrator.
    pub fn is_admin(&self) -> bool {
        self.role == UserRole::Admin
    }
}
