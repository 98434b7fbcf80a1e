//! Reviews over HTTP; the rules are in [`crate::app::reviews`].

use axum::extract::State;
use serde::Deserialize;

use super::answer::{ApiResult, ok};
use super::extract::{ApiJson, AuthUser, PathId};
use crate::app::reviews;
use crate::repos::providers::Review;
use crate::state::AppState;

routes!(create, reply);

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct NewReview {
    order_id: i64,
    #[schema(minimum = 1, maximum = 5)]
    rating: i64,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    content: Option<String>,
    #[serde(default)]
    #[schema(max_items = 9)]
    photo_urls: Vec<super::views::Link>,
}

#[utoipa::path(post, path = "/api/reviews", operation_id = "createReview", tag = "reviews", request_body = NewReview, responses((status = 201, description = "reviewed; 409 if reviewed already or not completed", body = Review), (status = 409, description = "the order is not completed or has a review already"), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn create(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<NewReview>,
) -> ApiResult<Review, 201> {
    let review = reviews::NewReview {
        order_id: b.order_id,
        rating: b.rating,
        content: b.content,
        photo_urls: b.photo_urls.into_iter().map(|l| l.0).collect(),
    };
    ok("reviewed", reviews::create(&s, user, review).await?)
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Reply {
    #[schema(
        min_length = 1,
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    reply: String,
}

#[utoipa::path(post, path = "/api/reviews/{id}/reply", operation_id = "replyToReview", tag = "reviews", request_body = Reply, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "replied once", body = Review), (status = 409, description = "replied already")), security(("bearer" = [])))]
pub(crate) async fn reply(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<Reply>,
) -> ApiResult<Review> {
    ok("replied", reviews::reply(&s, user, id, &b.reply).await?)
}
