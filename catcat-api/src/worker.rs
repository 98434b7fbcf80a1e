//! The queue consumer: persists queued orders through the same workflow the API queues them
//! with ([`crate::app::orders::persist`]).

use crate::app::AppError;
use crate::app::booking::{OrderMessage, persist};
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
}
