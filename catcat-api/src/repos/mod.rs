//! Every query of the service, as `#[repository_for]` traits. The entities are checked
//! against `migrations/` while compiling and the statements against the database by
//! `verify_all` (in tests and at startup).

pub mod migrations;
pub mod orders;
pub mod packages;
pub mod payments;
pub mod pets;
pub mod providers;
pub mod users;

use deadpool_postgres::Pool;
use repo_runtime::VerifyReport;

/// Prepares every statement of every repository on `pool` and compares the types.
pub async fn verify_all(pool: &Pool) -> repo_runtime::Result<VerifyReport> {
    let mut report = VerifyReport::default();
    report.merge(users::PgUserRepository::new(pool).verify().await?);
    report.merge(users::PgRefreshTokenRepository::new(pool).verify().await?);
    report.merge(pets::PgPetRepository::new(pool).verify().await?);
    report.merge(packages::PgPackageRepository::new(pool).verify().await?);
    report.merge(migrations::PgMigrationRepository::new(pool).verify().await?);
    report.merge(orders::PgOrderRepository::new(pool).verify().await?);
    report.merge(orders::PgOrderHistoryRepository::new(pool).verify().await?);
    report.merge(orders::PgProgressRepository::new(pool).verify().await?);
    report.merge(orders::PgIdempotencyRepository::new(pool).verify().await?);
    report.merge(providers::PgProviderRepository::new(pool).verify().await?);
    report.merge(providers::PgReviewRepository::new(pool).verify().await?);
    report.merge(payments::PgPaymentRepository::new(pool).verify().await?);
    report.merge(payments::PgStripeEventRepository::new(pool).verify().await?);
    Ok(report)
}
