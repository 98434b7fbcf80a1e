//! Progress reports: the assigned provider reports the visit step by step; the customer (and
//! admins) follow along. `StartService` starts the order, `Completed` completes it.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::Utc;
use repo_runtime::Crud;
use serde::Deserialize;

use super::error::{ApiError, ApiResult, ok, ok_json_text};
use super::extract::{ApiJson, AuthUser, PathId};
use super::orders::{after_move, load_visible, provider_move};
use crate::domain::order::{Actor, Transition, progress, transition};
use crate::domain::validate;
use crate::domain::{OrderStatus, ProgressStatus};
use crate::infra::cache;
use crate::repos::orders::{
    OrderRepository, PgOrderRepository, PgProgressRepository, Progress, ProgressRepository,
};
use crate::state::AppState;

#[utoipa::path(get, path = "/api/orders/{id}/progress", tag = "orders", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "progress reports", body = Vec<Progress>)), security(("bearer" = [])))]
pub(crate) async fn list(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult {
    load_visible(&s, id, &user).await?;
    let text = cache::cached(&s, &format!("progress:{id}"), cache::PROGRESS_TTL, || async {
        Ok(PgProgressRepository::new(&s.pool).for_order(id).await?)
    })
    .await?;
    ok_json_text(StatusCode::OK, "ok", &text)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Report {
    status: ProgressStatus,
    description: Option<String>,
    latitude: Option<f64>,
    longitude: Option<f64>,
    address: Option<String>,
    #[serde(default)]
    image_urls: Vec<String>,
}

#[utoipa::path(post, path = "/api/orders/{id}/progress", tag = "orders", request_body = Report, params(("id" = i64, Path, description = "object id")), responses((status = 201, description = "reported; 409 out of order", body = Progress), (status = 409, description = "the step is out of order, or the order is not being served")), security(("bearer" = [])))]
pub(crate) async fn report(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<Report>,
) -> ApiResult {
    validate::optional_text("description", b.description.as_deref(), 1000)?;
    validate::optional_text("address", b.address.as_deref(), 200)?;
    if b.latitude.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
        return Err(ApiError::invalid("latitude", "must be -90 to 90"));
    }
    if b.longitude.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
        return Err(ApiError::invalid("longitude", "must be -180 to 180"));
    }
    if b.image_urls.len() > 9 || b.image_urls.iter().any(|u| u.is_empty() || u.len() > 500) {
        return Err(ApiError::invalid(
            "imageUrls",
            "must be at most 9 URLs of at most 500 characters",
        ));
    }
    // One transaction with the order row locked: two reports cannot both pass the checks, and
    // a report that moves the order moves it together with its history row.
    let mut client = s.pool.get().await.map_err(repo_runtime::Error::from)?;
    let tx = client.transaction().await.map_err(repo_runtime::Error::from)?;
    let order = PgOrderRepository::new(&tx)
        .lock(id)
        .await?
        .filter(|o| o.provider_id == Some(user.id))
        .ok_or(ApiError::NotFound)?;
    if !matches!(order.status, OrderStatus::Accepted | OrderStatus::InProgress) {
        return Err(ApiError::conflict(
            "order_not_in_service",
            "progress is reported for accepted or started orders",
        ));
    }
    let last = PgProgressRepository::new(&tx).last_step(id).await?;
    let moves_to = progress(last, b.status)
        .map_err(|e| ApiError::conflict("progress_out_of_order", e.to_string()))?;
    let now = Utc::now();
    let entry = Progress {
        id: s.ids.next_id(),
        order_id: id,
        provider_id: user.id,
        status: b.status,
        description: b.description,
        latitude: b.latitude,
        longitude: b.longitude,
        address: b.address,
        image_urls: serde_json::json!(b.image_urls),
        created_at: now,
    };
    let mut moved = None;
    if let Some(to) = moves_to {
        let from = order.status;
        let t =
            if to == OrderStatus::InProgress { Transition::Start } else { Transition::Complete };
        transition(from, t, Actor::Provider, now, order.service_at)
            .map_err(|e| ApiError::conflict("progress_out_of_order", e.to_string()))?;
        provider_move(&s, &tx, id, user.id, from, to, now, "order_not_in_service").await?;
        moved = Some((from, to));
    }
    PgProgressRepository::new(&tx).insert(&entry).await?;
    tx.commit().await.map_err(repo_runtime::Error::from)?;
    if let Some((from, to)) = moved {
        after_move(&s, id, user.id, from, to).await?;
    }
    cache::forget(&s, &format!("progress:{id}")).await;
    ok(StatusCode::CREATED, "reported", entry)
}
