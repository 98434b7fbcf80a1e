//! First-run data: the three service packages, and an administrator from `ADMIN_PHONE` /
//! `ADMIN_PASSWORD` when none exists (never a built-in password).

use chrono::Utc;
use repo_runtime::Crud;
use repo_runtime::types::Decimal;

use crate::config::ExposeSecret;
use crate::domain::{UserRole, UserStatus};
use crate::repos::packages::{PackageRepository, PgPackageRepository, ServicePackage};
use crate::repos::users::{PgUserRepository, User, UserRepository};
use crate::state::AppState;

/// Seeds what is missing; safe to run on every start and from several replicas (ids are
/// fixed for packages, and the admin's phone is unique).
pub async fn run(state: &AppState) -> Result<(), repo_runtime::Error> {
    let packages = PgPackageRepository::new(&state.pool);
    if !packages.any().await? {
        let now = Utc::now();
        let seed = [
            (
                1,
                "基础喂养",
                "Feeding, fresh water and a clean litter box.",
                3000,
                30,
                serde_json::json!(["喂食", "换水", "清理猫砂"]),
            ),
            (
                2,
                "标准护理",
                "Basic care plus play time and photos.",
                5000,
                60,
                serde_json::json!(["喂食", "换水", "清理猫砂", "陪玩", "拍照反馈"]),
            ),
            (
                3,
                "高级护理",
                "Standard care plus grooming and a health check.",
                8000,
                90,
                serde_json::json!([
                    "喂食",
                    "换水",
                    "清理猫砂",
                    "陪玩",
                    "拍照反馈",
                    "梳毛",
                    "健康检查"
                ]),
            ),
        ];
        for (id, name, description, cents, minutes, items) in seed {
            packages
                .upsert(&ServicePackage {
                    id,
                    name: name.into(),
                    description: Some(description.into()),
                    price: Decimal::new(cents, 2),
                    duration_minutes: minutes,
                    icon_url: None,
                    service_items: items,
                    is_active: true,
                    sort_order: id as i32,
                    deleted_at: None,
                    created_at: now,
                    updated_at: now,
                })
                .await?;
        }
        tracing::info!("seeded the service packages");
    }
    if let Some((phone, password)) = state.config.admin() {
        let users = PgUserRepository::new(&state.pool);
        if !users.any_with_role(UserRole::Admin).await? && users.by_phone(phone).await?.is_none() {
            let hash = state
                .passwords
                .hash(password.expose_secret())
                .await
                .map_err(|e| repo_runtime::Error::Pool(e.to_string()))?;
            let now = Utc::now();
            let admin = User {
                id: state.ids.next_id().map_err(|e| repo_runtime::Error::Pool(e.to_string()))?,
                phone: phone.to_owned(),
                email: None,
                nick_name: "admin".into(),
                avatar: None,
                password_hash: hash,
                role: UserRole::Admin,
                status: UserStatus::Active,
                created_at: now,
                updated_at: now,
            };
            match users.insert(&admin).await {
                Ok(_) => tracing::info!(phone = %phone, "seeded the administrator"),
                Err(repo_runtime::Error::UniqueViolation { .. }) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(())
}
