//! The signed-in user's profile and password, and public profiles.

use axum::extract::State;
use serde::Deserialize;

use super::answer::{ApiResult, JsonText, ok};
use super::extract::{ApiJson, AuthUser, PathId};
use super::views::Empty;
use crate::app::users::{self, Profile, ProfileChange};
use crate::state::AppState;

routes!(me, update_me, change_password, by_id);

pub(crate) use crate::app::users::UserView;

#[utoipa::path(get, path = "/api/users/me", operation_id = "getMe", tag = "users", responses((status = 200, description = "the full profile", body = UserView)), security(("bearer" = [])))]
pub(crate) async fn me(State(s): State<AppState>, user: AuthUser) -> ApiResult<UserView> {
    ok("ok", UserView::full(&users::me(&s, user).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct UpdateMe {
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    nick_name: String,
    #[schema(
        max_length = 254,
        pattern = "^[^\\s@\\u0000-\\u001F\\u007F-\\u009F]+@[^\\s\\u0000-\\u001F\\u007F-\\u009F]*\\.[^\\s\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    email: Option<String>,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    avatar: Option<String>,
}

#[utoipa::path(put, path = "/api/users/me", operation_id = "updateMe", tag = "users", request_body = UpdateMe, responses((status = 200, description = "updated", body = UserView)), security(("bearer" = [])))]
pub(crate) async fn update_me(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<UpdateMe>,
) -> ApiResult<UserView> {
    let change = ProfileChange { nick_name: b.nick_name, email: b.email, avatar: b.avatar };
    ok("updated", UserView::full(&users::update_me(&s, user, change).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ChangePassword {
    #[schema(pattern = "^[^\\u0000]*$")]
    old_password: String,
    #[schema(min_length = 8, max_length = 128, pattern = "^(?=.*[A-Za-z])(?=.*[0-9])[^\\u0000]*$")]
    new_password: String,
}

#[utoipa::path(put, path = "/api/users/me/password", operation_id = "changePassword", tag = "users", request_body = ChangePassword, responses((status = 200, description = "changed; other sessions end", body = Empty), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn change_password(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<ChangePassword>,
) -> ApiResult<Empty> {
    users::change_password(&s, user, &b.old_password, &b.new_password).await?;
    ok("password changed; sign in again on other devices", Empty {})
}

#[utoipa::path(get, path = "/api/users/{id}", operation_id = "getUser", tag = "users", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "public profile, or full to self and admins", body = UserView)), security(("bearer" = [])))]
pub(crate) async fn by_id(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult<JsonText<UserView>> {
    match users::profile(&s, user, id).await? {
        Profile::Full(u) => ok("ok", JsonText::of(&UserView::full(&u))?),
        Profile::Public(text) => ok("ok", JsonText::new(text)),
    }
}
