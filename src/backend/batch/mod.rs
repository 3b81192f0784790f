//! Batching: each SKU has one queue server that drains the SKU's pending
//! orders and settles them in one conditional step per batch, so one
//! acquisition of the SKU's row (or cell) serves many orders.
//!
//! Grants within a batch go first-fit in arrival order (`first_fit.rs`).
//! A server collects a batch by taking what is already queued, up to
//! `batch_size` orders; with `batch_wait` above zero it then waits up to
//! that long for more before it settles, trading latency for fuller
//! batches.
//!
//! Invariant: an order is marked sent once it is in its server's queue; from
//! then on its batch may settle it whether or not its client still waits, so
//! a client that gave up reports `unknown`, never `error`.

mod first_fit;
mod stats;

pub use first_fit::first_fit;
pub use stats::BatchSizes;

use super::{Reply, SentFlag};
use crate::scenario::SkuIdx;
use crate::summary::Batches;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// How a server forms its batches (the `batch_size` and `batch_wait` options).
#[derive(Debug, Clone, Copy)]
pub struct BatchConfig {
    /// The most orders one conditional step settles.
    pub max_orders: usize,
    /// How long a server waits for more orders after the first is in.
    pub max_wait: Duration,
}

/// The outcome of one SKU's batch.
pub enum Settled {
    /// Per order, in arrival order: granted or not (sold out).
    Each(Vec<bool>),
    /// The step failed as a whole (it is atomic): every order gets this reply.
    All(Reply),
}

/// One store's conditional step over a batch of one SKU's orders.
pub trait Settle: Send + Sync + 'static {
    /// Grant `quantities` (arrival order) first-fit against the SKU's free
    /// stock, and add what was granted, in one atomic step.
    fn settle(&self, sku: SkuIdx, quantities: &[u64]) -> impl Future<Output = Settled> + Send;
}

type Request = (SkuIdx, u64, oneshot::Sender<Reply>);

/// Most queue servers; SKU `s` belongs to server `s % servers`, so each SKU
/// has exactly one owner and its orders settle in arrival order.
pub const MAX_SERVERS: usize = 8;

/// The queue servers of one backend.
pub struct BatchQueue {
    queues: Vec<mpsc::Sender<Request>>,
    sizes: Vec<Arc<BatchSizes>>,
}

impl BatchQueue {
    /// Start `servers` servers (at least one) settling through `settler`.
    /// Must be called inside a tokio runtime.
    pub fn spawn<S: Settle>(settler: Arc<S>, servers: usize, config: BatchConfig) -> Self {
        // Senders wait when a queue is full, and that wait is part of the
        // service time, as with a real broker.
        let depth = (config.max_orders * 4).max(1024);
        let (queues, sizes) = (0..servers.max(1))
            .map(|_| {
                let (tx, rx) = mpsc::channel(depth);
                let sizes = Arc::new(BatchSizes::default());
                tokio::spawn(serve(Arc::clone(&settler), rx, config, Arc::clone(&sizes)));
                (tx, sizes)
            })
            .unzip();
        BatchQueue { queues, sizes }
    }

    /// Queue one order and wait for its batch to settle.
    pub async fn reserve(&self, sku: SkuIdx, qty: u64, sent: &SentFlag) -> Reply {
        let (tx, rx) = oneshot::channel();
        let queue = &self.queues[sku as usize % self.queues.len()];
        if queue.send((sku, qty, tx)).await.is_err() {
            // The server is gone: the order never reached the store.
            return Reply::Error;
        }
        sent.mark();
        rx.await.unwrap_or(Reply::Unknown)
    }

    /// How full the batches were, over every server.
    pub fn batches(&self) -> Batches {
        BatchSizes::summarize(self.sizes.iter().map(|s| s.as_ref()))
    }
}

/// One server: collect a batch, settle it SKU by SKU, answer, repeat.
async fn serve<S: Settle>(
    settler: Arc<S>,
    mut rx: mpsc::Receiver<Request>,
    config: BatchConfig,
    sizes: Arc<BatchSizes>,
) {
    let mut batch: Vec<Request> = Vec::with_capacity(config.max_orders);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        collect(&mut rx, &mut batch, config).await;
        for group in by_sku(&batch) {
            let sku = batch[group[0]].0;
            let quantities: Vec<u64> = group.iter().map(|&i| batch[i].1).collect();
            let settled = settler.settle(sku, &quantities).await;
            sizes.record(group.len());
            answer(&mut batch, &group, settled);
        }
        batch.clear();
    }
}

/// Take what is queued, then (with `max_wait`) wait for more, up to `max_orders`.
async fn collect(rx: &mut mpsc::Receiver<Request>, batch: &mut Vec<Request>, config: BatchConfig) {
    while batch.len() < config.max_orders {
        match rx.try_recv() {
            Ok(request) => batch.push(request),
            Err(_) => break,
        }
    }
    if config.max_wait.is_zero() || batch.len() >= config.max_orders {
        return;
    }
    let deadline = tokio::time::Instant::now() + config.max_wait;
    while batch.len() < config.max_orders {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(request)) => batch.push(request),
            // Closed, or the wait is over.
            _ => return,
        }
    }
}

/// The batch's positions grouped by SKU, each group in arrival order.
fn by_sku(batch: &[Request]) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..batch.len()).collect();
    // Stable: positions of one SKU keep their arrival order.
    order.sort_by_key(|&i| batch[i].0);
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in order {
        match groups.last_mut() {
            Some(group) if batch[group[0]].0 == batch[i].0 => group.push(i),
            _ => groups.push(vec![i]),
        }
    }
    groups
}

fn answer(batch: &mut [Request], group: &[usize], settled: Settled) {
    for (n, &i) in group.iter().enumerate() {
        let reply = match &settled {
            Settled::Each(granted) => match granted.get(n) {
                Some(true) => Reply::Granted,
                Some(false) => Reply::SoldOut,
                // A step that answered for fewer orders than it was given
                // broke its contract; what it did with the rest is unknown.
                None => Reply::Unknown,
            },
            Settled::All(reply) => *reply,
        };
        // Take the sender out: each is answered once. The client may have
        // timed out and gone; its reservation stands, as on a real queue.
        let (tx, _) = oneshot::channel();
        let sender = std::mem::replace(&mut batch[i].2, tx);
        let _ = sender.send(reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// Grants everything and records the batches it was given.
    #[derive(Default)]
    struct Recording {
        batches: Mutex<Vec<(SkuIdx, Vec<u64>)>>,
    }

    impl Settle for Recording {
        async fn settle(&self, sku: SkuIdx, quantities: &[u64]) -> Settled {
            self.batches
                .lock()
                .unwrap()
                .push((sku, quantities.to_vec()));
            Settled::Each(vec![true; quantities.len()])
        }
    }

    #[test]
    fn groups_keep_arrival_order_per_sku() {
        let requests: Vec<Request> = [2, 1, 2, 1, 3]
            .iter()
            .map(|&sku| (sku, 1, oneshot::channel().0))
            .collect();
        assert_eq!(by_sku(&requests), vec![vec![1, 3], vec![0, 2], vec![4]]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_orders_share_batches_and_every_one_is_answered() {
        let settler = Arc::new(Recording::default());
        let config = BatchConfig {
            max_orders: 16,
            max_wait: Duration::from_millis(5),
        };
        let queue = Arc::new(BatchQueue::spawn(Arc::clone(&settler), 1, config));
        let tasks: Vec<_> = (0..64)
            .map(|i| {
                let queue = Arc::clone(&queue);
                tokio::spawn(async move { queue.reserve(i % 2, 1, &SentFlag::default()).await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), Reply::Granted);
        }
        let batches = settler.batches.lock().unwrap().clone();
        let orders: usize = batches.iter().map(|(_, q)| q.len()).sum();
        assert_eq!(orders, 64);
        assert!(batches.iter().all(|(_, q)| q.len() <= 16));
        // With a wait to fill them, 64 orders do not go one at a time.
        assert!(batches.len() < 64, "{} batches", batches.len());
        let stats = queue.batches();
        assert_eq!((stats.orders, stats.count), (64, batches.len() as u64));
    }
}
