//! Sign-up and sign-in over HTTP; the rules are in [`crate::app::auth`].

use axum::extract::State;
use serde::{Deserialize, Serialize};

use super::answer::{ApiResult, ok};
use super::extract::{ApiJson, AuthUser, ClientIp};
use super::users::UserView;
use super::views::Empty;
use crate::app::auth::{self, Registration};
use crate::state::AppState;

routes!(send_code, register, login, login_sms, refresh, logout);

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SendCode {
    #[schema(pattern = "^\\+?[0-9]{6,15}$")]
    phone: String,
}

#[utoipa::path(post, path = "/api/auth/send-code", operation_id = "sendCode", tag = "auth", request_body = SendCode, responses((status = 200, description = "a code was sent (same answer for unknown phones)", body = CodeSent), (status = 429, description = "throttled: one code a minute and a few a day per phone; Retry-After gives the seconds"), (status = 503, description = "the SMS sender is unavailable")))]
pub(crate) async fn send_code(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<SendCode>,
) -> ApiResult<CodeSent> {
    let ttl = auth::send_code(&s, &b.phone, ip).await?;
    ok("code sent", CodeSent { expires_in: ttl.as_secs() })
}

/// What sending a code answers.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CodeSent {
    /// Seconds the code stays valid.
    expires_in: u64,
}

/// What a sign-in answers.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Session {
    access_token: String,
    refresh_token: String,
    expires_in: i64,
    user: UserView,
}

impl From<auth::Session> for Session {
    fn from(s: auth::Session) -> Self {
        Self {
            access_token: s.access_token,
            refresh_token: s.refresh_token,
            expires_in: s.expires_in,
            user: UserView::full(&s.user),
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Register {
    #[schema(pattern = "^\\+?[0-9]{6,15}$")]
    phone: String,
    #[schema(pattern = "^[0-9]{6}$")]
    code: String,
    #[schema(min_length = 8, max_length = 128, pattern = "^(?=.*[A-Za-z])(?=.*[0-9])[^\\u0000]*$")]
    password: String,
    #[schema(
        max_length = 50,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    nick_name: Option<String>,
}

#[utoipa::path(post, path = "/api/auth/register", operation_id = "register", tag = "auth", request_body = Register, responses((status = 201, description = "registered and signed in", body = Session), (status = 409, description = "the phone number is registered already")))]
pub(crate) async fn register(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<Register>,
) -> ApiResult<Session, 201> {
    let r =
        Registration { phone: b.phone, code: b.code, password: b.password, nick_name: b.nick_name };
    ok("registered", Session::from(auth::register(&s, r).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Login {
    #[schema(pattern = "^\\+?[0-9]{6,15}$")]
    phone: String,
    #[schema(pattern = "^[^\\u0000]*$")]
    password: String,
}

#[utoipa::path(post, path = "/api/auth/login", operation_id = "login", tag = "auth", request_body = Login, responses((status = 200, description = "signed in", body = Session), (status = 401, description = "wrong phone or password"), (status = 403, description = "the account is pending, suspended or banned")))]
pub(crate) async fn login(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<Login>,
) -> ApiResult<Session> {
    ok("signed in", Session::from(auth::login(&s, &b.phone, &b.password, ip).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LoginSms {
    #[schema(pattern = "^\\+?[0-9]{6,15}$")]
    phone: String,
    #[schema(pattern = "^[0-9]{6}$")]
    code: String,
}

#[utoipa::path(post, path = "/api/auth/login-sms", operation_id = "loginWithSms", tag = "auth", request_body = LoginSms, responses((status = 200, description = "signed in", body = Session), (status = 403, description = "the account is pending, suspended or banned")))]
pub(crate) async fn login_sms(
    State(s): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(b): ApiJson<LoginSms>,
) -> ApiResult<Session> {
    ok("signed in", Session::from(auth::login_sms(&s, &b.phone, &b.code, ip).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct RefreshBody {
    /// The token a sign-in answered: 64 hex digits.
    #[schema(pattern = "^[0-9a-f]{64}$")]
    refresh_token: String,
}

#[utoipa::path(post, path = "/api/auth/refresh", operation_id = "refreshTokens", tag = "auth", request_body = RefreshBody, responses((status = 200, description = "a new token pair; reuse of a rotated token revokes its family", body = Session), (status = 401, description = "unknown, expired or already rotated refresh token (a reuse revokes the whole family)"), (status = 403, description = "the account is pending, suspended or banned")))]
pub(crate) async fn refresh(
    State(s): State<AppState>,
    ApiJson(b): ApiJson<RefreshBody>,
) -> ApiResult<Session> {
    ok("refreshed", Session::from(auth::refresh(&s, &b.refresh_token).await?))
}

#[utoipa::path(post, path = "/api/auth/logout", operation_id = "logout", tag = "auth", request_body = RefreshBody, responses((status = 200, description = "the session family is revoked", body = Empty), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn logout(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<RefreshBody>,
) -> ApiResult<Empty> {
    auth::logout(&s, user, &b.refresh_token).await?;
    ok("signed out", Empty {})
}
