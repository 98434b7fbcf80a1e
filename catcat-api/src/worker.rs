//! The queue consumer: persists queued orders through the same workflow the API queues them
//! with ([`crate::app::orders::persist`]).

use crate::app::AppError;
use crate::app::booking::{OrderMessage, persist, queued_key};
use crate::infra::queue::{HandleError, Handler};
use crate::state::AppState;

/// Persists queued orders: once per order id, however often delivered.
#[derive(Debug, Clone)]
pub struct OrderPersister {
    state: AppState,
}

impl OrderPersister {
    /// A persister on the service's state.
    pub fn new(state: &AppState) -> Self {
        Self { state: state.clone() }
    }
}

impl Handler for OrderPersister {
    async fn handle(&self, payload: &[u8]) -> Result<(), HandleError> {
        let message = OrderMessage::decode(payload).map_err(|e| HandleError::Reject(e.into()))?;
        match persist(&self.state, message).await {
            Ok(_) => Ok(()),
            Err(
                e @ (AppError::Invalid(_)
                | AppError::Conflict { .. }
                | AppError::NotFound
                | AppError::Database(
                    repo_runtime::Error::ForeignKeyViolation { .. }
                    | repo_runtime::Error::CheckViolation { .. }
                    | repo_runtime::Error::NotNullViolation { .. },
                )),
            ) => Err(HandleError::Reject(e.into())),
            Err(e) => Err(HandleError::Retry(e.into())),
        }
    }

    /// A given-up order must not read back as `Queued` for the hour its record lives.
    async fn given_up(&self, payload: &[u8]) {
        if let Ok(message) = OrderMessage::decode(payload)
            && let Err(e) = self.state.kv.del(&queued_key(message.id)).await
        {
            tracing::warn!(error = %e, "the queued record of a given-up order was not dropped");
        }
    }
}
