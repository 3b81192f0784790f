//! What both server dialects do the same way around the audit's look-up of
//! order ids: nothing where ids are not stored, and a failed read that
//! names the backend.

use crate::backend::{BackendError, StoredIds, StoredOrders};
use std::future::Future;

/// The ids `read` finds, or `NotStored` when the backend keeps none (then
/// `read` is never run).
pub async fn stored_ids(
    backend: &str,
    stores_ids: bool,
    read: impl Future<Output = Result<StoredOrders, String>>,
) -> Result<StoredIds, BackendError> {
    if !stores_ids {
        return Ok(StoredIds::NotStored);
    }
    read.await
        .map(StoredIds::Stored)
        .map_err(|e| BackendError::new(backend, format!("cannot read stored order ids: {e}")))
}
