//! `memory-queue`: one task serves each SKU's queue, so a SKU's orders are
//! applied one after another by a single owner — no lock, no race.

use super::checkout::{Access, Books, QueueServers};
use super::{StockTable, Strategy};
use crate::backend::{Hooks, Reply};
use crate::scenario::BackendOptions;
use crate::scenario::SkuIdx;
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// Queue servers; SKU `s` belongs to server `s % SERVERS`, so each SKU has
/// exactly one owner while a big catalogue does not spawn a task per SKU.
const SERVERS: usize = 64;
/// Requests a server's queue holds; senders wait when it is full, and that wait
/// is part of the service time, as it would be with a real broker.
const QUEUE_DEPTH: usize = 1024;

type Request = (SkuIdx, u64, oneshot::Sender<Reply>);

pub struct Queue {
    queues: Vec<mpsc::Sender<Request>>,
    /// The servers of the checkout calls, one owner per SKU likewise.
    checkout: QueueServers,
}

/// A server applies its SKUs' requests in arrival order; it is their only writer.
async fn serve(table: Arc<StockTable>, mut rx: mpsc::Receiver<Request>) {
    while let Some((sku, qty, reply)) = rx.recv().await {
        let cell = table.cell(sku);
        let (limit, reserved) = cell.read();
        let answer = if limit.saturating_sub(reserved) >= qty {
            cell.write_reserved(reserved + qty);
            Reply::Granted
        } else {
            Reply::SoldOut
        };
        // The client may have timed out and gone; its reservation stands, as
        // it would on a real queue consumer.
        let _ = reply.send(answer);
    }
}

impl Strategy for Queue {
    fn open(
        table: &Arc<StockTable>,
        books: &Arc<Books>,
        _: &BackendOptions,
        _hooks: Hooks,
    ) -> Self {
        let queues = (0..SERVERS.min(table.len().max(1)))
            .map(|_| {
                let (tx, rx) = mpsc::channel(QUEUE_DEPTH);
                tokio::spawn(serve(Arc::clone(table), rx));
                tx
            })
            .collect();
        let servers = SERVERS.min(table.len().max(1));
        let checkout = QueueServers::spawn(Arc::clone(books), servers, QUEUE_DEPTH);
        Queue { queues, checkout }
    }

    fn access(&self) -> Access<'_> {
        Access::Queue(&self.checkout)
    }

    async fn reserve(&self, _table: &StockTable, sku: SkuIdx, qty: u64) -> Reply {
        let (tx, rx) = oneshot::channel();
        let queue = &self.queues[sku as usize % self.queues.len()];
        if queue.send((sku, qty, tx)).await.is_err() {
            // The server is gone: the request never reached the store.
            return Reply::Error;
        }
        rx.await.unwrap_or(Reply::Unknown)
    }
}
