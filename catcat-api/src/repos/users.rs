//! Users and refresh tokens.

use chrono::{DateTime, Utc};
use repo_runtime::{Entity, Result, repository_for};

use crate::domain::{UserRole, UserStatus};

/// A row of `users`.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "users")]
pub struct User {
    /// Snowflake id.
    #[entity(key)]
    pub id: i64,
    /// Unique phone number.
    pub phone: String,
    /// Optional e-mail.
    pub email: Option<String>,
    /// Display name.
    pub nick_name: String,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Role.
    pub role: UserRole,
    /// Status.
    pub status: UserStatus,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Role, status, and when the user's sessions were last ended.
pub type SessionState = (UserRole, UserStatus, Option<DateTime<Utc>>);

/// Users.
#[repository_for(User, crud)]
pub trait UserRepository {
    /// By phone number.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE phone = @phone")]
    async fn by_phone(&self, phone: &str) -> Result<Option<User>>;

    /// Profile fields.
    #[sql(
        "UPDATE <<table>> SET nick_name = @nick_name, email = @email, avatar = @avatar, updated_at = @now WHERE <<where:id>>"
    )]
    async fn update_profile(
        &self,
        id: i64,
        nick_name: &str,
        email: Option<&str>,
        avatar: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<u64>;

    /// A new password hash.
    #[sql("UPDATE <<table>> SET password_hash = @hash, updated_at = @now WHERE <<where:id>>")]
    async fn set_password(&self, id: i64, hash: &str, now: DateTime<Utc>) -> Result<u64>;

    /// A new role.
    #[sql("UPDATE <<table>> SET role = @role, updated_at = @now WHERE <<where:id>>")]
    async fn set_role(&self, id: i64, role: UserRole, now: DateTime<Utc>) -> Result<u64>;

    /// A new status.
    #[sql("UPDATE <<table>> SET status = @status, updated_at = @now WHERE <<where:id>>")]
    async fn set_status(&self, id: i64, status: UserStatus, now: DateTime<Utc>) -> Result<u64>;

    /// Users, optionally by role and status (admin).
    #[sql(
        "SELECT <<columns>>, <<total>> FROM <<table>> WHERE true <<if some(role)>>AND role = @role<</if>> <<if some(status)>>AND status = @status<</if>> ORDER BY created_at DESC, id DESC <<paginate>>"
    )]
    async fn filtered(
        &self,
        role: Option<UserRole>,
        status: Option<UserStatus>,
        limit: i64,
        offset: i64,
    ) -> Result<repo_runtime::Page<User>>;

    /// How many users have each role.
    #[sql("SELECT role, COUNT(*) FROM <<table>> GROUP BY role ORDER BY role")]
    async fn count_by_role(&self) -> Result<Vec<(UserRole, i64)>>;

    /// Whether any admin exists (for seeding).
    /// What an access token is checked against: role, status, and the instant before which
    /// the user's access tokens are refused.
    #[sql("SELECT role, status, tokens_valid_after FROM <<table>> WHERE <<where:id>>")]
    async fn session_state(&self, id: i64) -> Result<Option<SessionState>>;

    /// Refuses the user's access tokens issued before `at`.
    #[sql("UPDATE <<table>> SET tokens_valid_after = @at WHERE <<where:id>>")]
    async fn end_sessions(&self, id: i64, at: DateTime<Utc>) -> Result<u64>;

    #[sql("SELECT EXISTS (SELECT 1 FROM <<table>> WHERE role = @role)")]
    async fn any_with_role(&self, role: UserRole) -> Result<bool>;
}

/// A row of `refresh_tokens`: only the token's hash is stored.
#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "refresh_tokens")]
pub struct RefreshToken {
    /// Snowflake id.
    #[entity(key)]
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Every token rotated from one sign-in shares the family.
    pub family_id: i64,
    /// SHA-256 of the token, hex.
    pub token_hash: String,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
    /// Set when rotated or revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The token that replaced this one.
    pub replaced_by: Option<i64>,
    /// Issued.
    pub created_at: DateTime<Utc>,
}

/// Refresh tokens.
#[repository_for(RefreshToken, crud)]
pub trait RefreshTokenRepository {
    /// By the token's hash.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE token_hash = @hash")]
    async fn by_hash(&self, hash: &str) -> Result<Option<RefreshToken>>;

    /// Marks a live token rotated; 0 when it was already revoked (a concurrent reuse).
    #[sql(
        "UPDATE <<table>> SET revoked_at = @now, replaced_by = @replaced_by WHERE <<where:id>> AND revoked_at IS NULL"
    )]
    async fn rotate(&self, id: i64, replaced_by: i64, now: DateTime<Utc>) -> Result<u64>;

    /// Revokes every live token of a family.
    #[sql(
        "UPDATE <<table>> SET revoked_at = @now WHERE family_id = @family_id AND revoked_at IS NULL"
    )]
    async fn revoke_family(&self, family_id: i64, now: DateTime<Utc>) -> Result<u64>;

    /// Revokes every live token of a user.
    #[sql("UPDATE <<table>> SET revoked_at = @now WHERE user_id = @user_id AND revoked_at IS NULL")]
    async fn revoke_user(&self, user_id: i64, now: DateTime<Utc>) -> Result<u64>;
}
