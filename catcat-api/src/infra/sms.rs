//! Sending verification codes: to the log in dev mode, or by HTTP POST to a configurable
//! gateway (`SMS_URL`, JSON `{"phone": …, "message": …}`).

use std::time::Duration;

/// A code that could not be sent.
#[derive(Debug, thiserror::Error)]
#[error("sms gateway error: {0}")]
pub struct SmsError(String);

/// Where codes go.
#[derive(Debug, Clone)]
pub enum SmsSender {
    /// Development: the code is logged.
    Log,
    /// A gateway that takes a JSON POST.
    Http {
        /// The gateway's URL.
        url: String,
    },
}

impl SmsSender {
    /// Sends `message` to `phone`.
    pub async fn send(&self, phone: &str, message: &str) -> Result<(), SmsError> {
        match self {
            Self::Log => {
                tracing::info!(phone, message, "sms (dev mode: not sent)");
                Ok(())
            }
            Self::Http { url } => {
                post_json(url, &serde_json::json!({ "phone": phone, "message": message })).await
            }
        }
    }
}

async fn post_json(url: &str, body: &serde_json::Value) -> Result<(), SmsError> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|e| SmsError(e.to_string()))?;
    let response = client.post(url).json(body).send().await.map_err(|e| SmsError(e.to_string()))?;
    if response.status().is_success() {
        Ok(())
    } else {
        Err(SmsError(format!("gateway answered {}", response.status())))
    }
}
