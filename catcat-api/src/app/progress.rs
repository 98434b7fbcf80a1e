//! Progress reports: the assigned provider reports the visit step by step; the customer (and
//! admins) follow along. `StartService` starts the order, `Completed` completes it.

use std::sync::Arc;

use chrono::Utc;
use repo_runtime::Crud;

use super::orders::{after_move, history, load_visible, provider_update};
use super::{AppError, AppResult, Caller};
use crate::domain::order::{Actor, Transition, progress, transition};
use crate::domain::validate;
use crate::domain::{OrderStatus, ProgressStatus};
use crate::infra::cache::PROGRESS_TTL;
use crate::repos::orders::{
    OrderRepository, PgOrderHistoryRepository, PgOrderRepository, PgProgressRepository, Progress,
    ProgressRepository,
};
use crate::state::AppState;

/// A report as the provider sends it.
#[derive(Debug, Clone)]
pub struct Report {
    /// The step.
    pub status: ProgressStatus,
    /// Notes.
    pub description: Option<String>,
    /// Where (latitude).
    pub latitude: Option<f64>,
    /// Where (longitude).
    pub longitude: Option<f64>,
    /// Where (text).
    pub address: Option<String>,
    /// Photos.
    pub image_urls: Vec<String>,
}

impl Report {
    fn check(&self) -> AppResult<()> {
        validate::optional_text("description", self.description.as_deref(), 1000)?;
        validate::optional_text("address", self.address.as_deref(), 200)?;
        if self.latitude.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
            return Err(AppError::invalid("latitude", "must be -90 to 90"));
        }
        if self.longitude.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
            return Err(AppError::invalid("longitude", "must be -180 to 180"));
        }
        if self.image_urls.len() > 9
            || self.image_urls.iter().any(|u| validate::text("imageUrls", u, 1, 500).is_err())
        {
            return Err(AppError::invalid(
                "imageUrls",
                "must be at most 9 URLs of 1 to 500 characters",
            ));
        }
        Ok(())
    }
}

/// The order's reports as JSON text (cached), if `caller` may see the order.
pub async fn list(s: &AppState, caller: Caller, id: i64) -> AppResult<Arc<str>> {
    load_visible(s, id, &caller).await?;
    s.cache
        .cached(&format!("progress:{id}"), PROGRESS_TTL, || async {
            Ok::<_, AppError>(PgProgressRepository::new(&s.pool).for_order(id).await?)
        })
        .await
}

/// Records a report of the assigned provider; a report that moves the order moves it together
/// with its history row.
pub async fn report(s: &AppState, caller: Caller, id: i64, r: Report) -> AppResult<Progress> {
    r.check()?;
    let now = Utc::now();
    let entry = Progress {
        id: s.ids.next_id()?,
        order_id: id,
        provider_id: caller.id,
        status: r.status,
        description: r.description,
        latitude: r.latitude,
        longitude: r.longitude,
        address: r.address,
        image_urls: serde_json::json!(r.image_urls),
        created_at: now,
    };
    // One transaction with the order row locked: two reports cannot both pass the checks.
    let moved = repo_runtime::transaction(&s.pool, async |tx| {
        let order = PgOrderRepository::new(tx)
            .lock(id)
            .await?
            .filter(|o| o.provider_id == Some(caller.id))
            .ok_or(AppError::NotFound)?;
        if !matches!(order.status, OrderStatus::Accepted | OrderStatus::InProgress) {
            return Err(AppError::conflict(
                "order_not_in_service",
                "progress is reported for accepted or started orders",
            ));
        }
        let last = PgProgressRepository::new(tx).last_step(id).await?;
        let moves_to = progress(last, entry.status)
            .map_err(|e| AppError::conflict("progress_out_of_order", e.to_string()))?;
        let mut moved = None;
        if let Some(to) = moves_to {
            let from = order.status;
            let t = if to == OrderStatus::InProgress {
                Transition::Start
            } else {
                Transition::Complete
            };
            transition(from, t, Actor::Provider, now, order.service_at)
                .map_err(|e| AppError::conflict("progress_out_of_order", e.to_string()))?;
            let orders = PgOrderRepository::new(tx);
            if provider_update(&orders, id, caller.id, (from, to), now).await? == 0 {
                return Err(AppError::conflict(
                    "order_not_in_service",
                    "the order changed meanwhile; reload it",
                ));
            }
            PgOrderHistoryRepository::new(tx)
                .insert(&history(s, id, Some(from), to, caller.id, None)?)
                .await?;
            moved = Some((from, to));
        }
        PgProgressRepository::new(tx).insert(&entry).await?;
        Ok(moved)
    })
    .await?;
    if let Some((from, to)) = moved {
        after_move(s, id, caller.id, from, to).await?;
    }
    s.cache.forget(&format!("progress:{id}")).await;
    Ok(entry)
}
