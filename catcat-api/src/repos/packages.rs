//! Service packages.

use chrono::{DateTime, Utc};
use repo_runtime::types::Decimal;
use repo_runtime::{Entity, Result, repository_for};
use serde::Serialize;

/// A row of `service_packages`.
#[derive(Debug, Clone, PartialEq, Entity, Serialize, utoipa::ToSchema)]
#[entity(table = "service_packages")]
#[serde(rename_all = "camelCase")]
pub struct ServicePackage {
    /// Snowflake id.
    #[entity(key)]
    pub id: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: Option<String>,
    /// Price, copied into orders.
    #[serde(with = "rust_decimal::serde::float")]
    #[schema(value_type = f64)]
    pub price: Decimal,
    /// Length of a visit.
    pub duration_minutes: i32,
    /// Icon URL.
    pub icon_url: Option<String>,
    /// What a visit includes (a JSON array of strings).
    #[schema(value_type = Vec<String>)]
    pub service_items: serde_json::Value,
    /// Bookable.
    pub is_active: bool,
    /// Position in lists.
    pub sort_order: i32,
    /// Set when deleted (rows stay for old orders).
    #[serde(skip)]
    pub deleted_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Packages.
#[repository_for(ServicePackage, crud, name = PgPackageRepository)]
pub trait PackageRepository {
    /// Bookable packages in display order.
    #[sql(
        "SELECT <<columns>> FROM <<table>> WHERE is_active AND deleted_at IS NULL ORDER BY sort_order, id"
    )]
    async fn active(&self) -> Result<Vec<ServicePackage>>;

    /// A bookable package.
    #[sql(
        "SELECT <<columns>> FROM <<table>> WHERE <<where:id>> AND is_active AND deleted_at IS NULL"
    )]
    async fn active_by_id(&self, id: i64) -> Result<Option<ServicePackage>>;

    /// Every package not deleted, in display order (admin).
    #[sql("SELECT <<columns>> FROM <<table>> WHERE deleted_at IS NULL ORDER BY sort_order, id")]
    async fn all_live(&self) -> Result<Vec<ServicePackage>>;

    /// A package not deleted (admin).
    #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>> AND deleted_at IS NULL")]
    async fn live_by_id(&self, id: i64) -> Result<Option<ServicePackage>>;

    /// Edits a package that is not deleted.
    #[sql(
        "UPDATE <<table>> SET <<set --exclude created_at,deleted_at>> WHERE id = @package.id AND deleted_at IS NULL"
    )]
    async fn update_live(&self, package: &ServicePackage) -> Result<u64>;

    /// Turns booking on or off.
    #[sql(
        "UPDATE <<table>> SET is_active = @active, updated_at = @now WHERE <<where:id>> AND deleted_at IS NULL"
    )]
    async fn set_active(&self, id: i64, active: bool, now: DateTime<Utc>) -> Result<u64>;

    /// Deletes softly: old orders keep their package.
    #[sql(
        "UPDATE <<table>> SET deleted_at = @now, is_active = false, updated_at = @now WHERE <<where:id>> AND deleted_at IS NULL"
    )]
    async fn soft_delete(&self, id: i64, now: DateTime<Utc>) -> Result<u64>;

    /// Whether any package exists (for seeding).
    #[sql("SELECT EXISTS (SELECT 1 FROM <<table>>)")]
    async fn any(&self) -> Result<bool>;
}
