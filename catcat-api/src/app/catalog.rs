//! The service packages: what customers see (cached in both tiers) and what admins edit
//! (every edit drops the cached copies on every replica).

use std::sync::Arc;

use chrono::Utc;
use repo_runtime::Crud;
use repo_runtime::types::Decimal;

use super::{AppError, AppResult};
use crate::domain::validate::{self, FieldError};
use crate::infra::cache::PACKAGES_TTL;
use crate::repos::packages::{PackageRepository, PgPackageRepository, ServicePackage};
use crate::state::AppState;

/// The bookable packages in order, as cached JSON text.
pub async fn list(s: &AppState) -> AppResult<Arc<str>> {
    s.cache
        .cached("packages", PACKAGES_TTL, || async {
            Ok::<_, AppError>(PgPackageRepository::new(&s.pool).active().await?)
        })
        .await
}

/// One bookable package, as cached JSON text.
pub async fn one(s: &AppState, id: i64) -> AppResult<Arc<str>> {
    s.cache
        .cached(&format!("package:{id}"), PACKAGES_TTL, || async {
            PgPackageRepository::new(&s.pool).active_by_id(id).await?.ok_or(AppError::NotFound)
        })
        .await
}

/// A price in yuan: 0 to 99999999.99 with at most two decimals (the fen); never rounded.
pub fn price(value: Decimal) -> Result<Decimal, FieldError> {
    if value < Decimal::ZERO || value >= Decimal::new(100_000_000, 0) {
        return Err(FieldError::new("price", "must be 0 to 99999999.99"));
    }
    let value = value.normalize();
    if value.scale() > 2 {
        return Err(FieldError::new("price", "must have at most two decimals (fen)"));
    }
    Ok(value)
}

fn check(p: &ServicePackage) -> Result<(), FieldError> {
    validate::text("name", &p.name, 1, 50)?;
    validate::optional_text("description", p.description.as_deref(), 1000)?;
    validate::optional_text("iconUrl", p.icon_url.as_deref(), 500)?;
    if !(1..=24 * 60).contains(&p.duration_minutes) {
        return Err(FieldError::new("durationMinutes", "must be 1 to 1440"));
    }
    let items = p.service_items.as_array().map(Vec::as_slice).unwrap_or_default();
    if items.len() > 20
        || items.iter().any(|i| {
            i.as_str().is_none_or(|t| {
                t.trim().is_empty() || validate::text("serviceItems", t, 1, 50).is_err()
            })
        })
    {
        return Err(FieldError::new(
            "serviceItems",
            "must be at most 20 items of 1 to 50 characters",
        ));
    }
    price(p.price)?;
    Ok(())
}

/// Every package not deleted (admin).
pub async fn all(s: &AppState) -> AppResult<Vec<ServicePackage>> {
    Ok(PgPackageRepository::new(&s.pool).all_live().await?)
}

/// Adds a package described by `draft` (its id and times are set here).
pub async fn create(s: &AppState, mut draft: ServicePackage) -> AppResult<ServicePackage> {
    check(&draft)?;
    let now = Utc::now();
    draft.id = s.ids.next_id()?;
    draft.name = draft.name.trim().to_owned();
    draft.price = price(draft.price)?;
    (draft.created_at, draft.updated_at, draft.deleted_at) = (now, now, None);
    PgPackageRepository::new(&s.pool).insert(&draft).await?;
    s.cache.forget_package(None).await;
    Ok(draft)
}

/// Replaces package `id`.
pub async fn update(s: &AppState, id: i64, mut draft: ServicePackage) -> AppResult<ServicePackage> {
    check(&draft)?;
    let packages = PgPackageRepository::new(&s.pool);
    let current = packages.live_by_id(id).await?.ok_or(AppError::NotFound)?;
    draft.id = id;
    draft.name = draft.name.trim().to_owned();
    draft.price = price(draft.price)?;
    (draft.created_at, draft.updated_at, draft.deleted_at) = (current.created_at, Utc::now(), None);
    if packages.update_live(&draft).await? == 0 {
        return Err(AppError::NotFound);
    }
    s.cache.forget_package(Some(id)).await;
    Ok(draft)
}

/// Deletes package `id` softly (orders keep pointing at it).
pub async fn delete(s: &AppState, id: i64) -> AppResult<()> {
    if PgPackageRepository::new(&s.pool).soft_delete(id, Utc::now()).await? == 0 {
        return Err(AppError::NotFound);
    }
    s.cache.forget_package(Some(id)).await;
    Ok(())
}

/// Offers package `id` or stops offering it.
pub async fn set_active(s: &AppState, id: i64, active: bool) -> AppResult<()> {
    if PgPackageRepository::new(&s.pool).set_active(id, active, Utc::now()).await? == 0 {
        return Err(AppError::NotFound);
    }
    s.cache.forget_package(Some(id)).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_exact_or_refused() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(price(d("35.50")).unwrap().to_string(), "35.5");
        assert_eq!(price(d("99999999.99")).unwrap().to_string(), "99999999.99");
        for refused in ["1.005", "0.001", "-1", "100000000"] {
            assert!(price(d(refused)).is_err(), "{refused} must be refused");
        }
    }
}
