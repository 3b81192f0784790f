//! The checkout calls of the memory backends: how each strategy reaches the
//! books (`book.rs`) and runs the cart logic (`cart.rs`) over them.
//!
//! - `memory-atomic`: the cart's books locked in SKU order, every step in one
//!   go with no await inside: the in-process form of one transaction of
//!   conditional UPDATEs.
//! - `memory-lock`: the same, and the holder yields while it holds the locks
//!   (the round trip a lock holder spends), so a hot SKU's calls queue.
//! - `memory-queue`: each SKU's steps run on its SKU's server.
//! - `memory-naive`: reads, yields, then writes absolute values; it checks
//!   neither expiry at confirmation nor whether a release already happened,
//!   and a restock saves the whole row it read: what goes wrong without
//!   atomicity.
//!
//! Expiry is lazy everywhere: every call reaps the lapsed holds of the SKUs
//! it touches before it decides, so no reaper lags behind a deadline.

use super::book::{Book, PartState};
use super::cart::{self, Steps};
use crate::backend::checkout::{merged, Confirmed, OrderRef, Released, StockState, Take};
use crate::backend::{Hooks, Reply};
use crate::scenario::{AfterExpiry, Sku, SkuIdx};
use tokio::sync::{mpsc, oneshot, Mutex, MutexGuard};

/// Every SKU's book, built on first use: only checkout runs use the books,
/// and for a million SKUs they take hundreds of megabytes (a lock, a map and
/// a set each) that a plain run would carry for nothing.
pub struct Books {
    /// Each SKU's (stock, buffer), as its book starts.
    start: Vec<(u64, u64)>,
    books: std::sync::OnceLock<Vec<Mutex<Book>>>,
}

impl Books {
    pub fn new(skus: &[Sku]) -> Self {
        Books {
            start: skus.iter().map(|s| (s.stock, s.buffer)).collect(),
            books: std::sync::OnceLock::new(),
        }
    }

    fn all(&self) -> &[Mutex<Book>] {
        self.books.get_or_init(|| {
            self.start
                .iter()
                .map(|&(stock, buffer)| Mutex::new(Book::new(stock, buffer)))
                .collect()
        })
    }

    /// Every book back to the stock of `skus`; books never built need
    /// nothing, as they start from the same stock.
    pub async fn reset(&self, skus: &[Sku]) {
        let Some(books) = self.books.get() else {
            return;
        };
        for (book, sku) in books.iter().zip(skus) {
            *book.lock().await = Book::new(sku.stock, sku.buffer);
        }
    }

    pub fn book(&self, sku: SkuIdx) -> &Mutex<Book> {
        &self.all()[sku as usize]
    }

    pub async fn reap(&self, now_us: u64) {
        for book in self.all() {
            book.lock().await.reap(now_us);
        }
    }

    pub async fn took_effect(&self, key: u64) -> bool {
        for book in self.all() {
            if book.lock().await.part(key).is_some() {
                return true;
            }
        }
        false
    }

    pub async fn states(&self) -> Vec<StockState> {
        let mut states = Vec::with_capacity(self.start.len());
        for book in self.all() {
            states.push(book.lock().await.state());
        }
        states
    }

    /// Lock the books of `skus` (ascending, distinct) in that order.
    async fn lock(&self, skus: impl Iterator<Item = SkuIdx>) -> Locked<'_> {
        let mut guards = Vec::new();
        for sku in skus {
            guards.push((sku, self.all()[sku as usize].lock().await));
        }
        Locked { guards }
    }
}

/// The books of one call, locked for its whole length.
struct Locked<'a> {
    guards: Vec<(SkuIdx, MutexGuard<'a, Book>)>,
}

impl Steps for Locked<'_> {
    async fn on<R: Send + 'static>(
        &mut self,
        sku: SkuIdx,
        step: impl FnOnce(&mut Book) -> R + Send + 'static,
    ) -> Option<R> {
        let (_, book) = self.guards.iter_mut().find(|(s, _)| *s == sku)?;
        Some(step(book))
    }
}

/// How a strategy reaches the books.
pub enum Access<'a> {
    Locked { yield_inside: bool },
    Queue(&'a QueueServers),
    Naive(&'a Hooks),
}

type Job = Box<dyn FnOnce(&mut Book) + Send>;

/// `memory-queue`'s servers for checkout steps: SKU `s` belongs to server
/// `s % servers`, its only writer.
pub struct QueueServers {
    queues: Vec<mpsc::Sender<(SkuIdx, Job)>>,
}

impl QueueServers {
    pub fn spawn(books: std::sync::Arc<Books>, servers: usize, depth: usize) -> Self {
        let queues = (0..servers.max(1))
            .map(|_| {
                let (tx, mut rx) = mpsc::channel::<(SkuIdx, Job)>(depth);
                let books = std::sync::Arc::clone(&books);
                tokio::spawn(async move {
                    while let Some((sku, job)) = rx.recv().await {
                        job(&mut *books.book(sku).lock().await);
                    }
                });
                tx
            })
            .collect();
        QueueServers { queues }
    }
}

struct Queued<'a>(&'a QueueServers);

impl Steps for Queued<'_> {
    async fn on<R: Send + 'static>(
        &mut self,
        sku: SkuIdx,
        step: impl FnOnce(&mut Book) -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |book| {
            // The caller may have timed out and gone; the step stands.
            let _ = tx.send(step(book));
        });
        let queue = &self.0.queues[sku as usize % self.0.queues.len()];
        queue.send((sku, job)).await.ok()?;
        rx.await.ok()
    }
}

/// Run `call` with the strategy's access to the books of `skus`.
macro_rules! with_steps {
    ($access:expr, $books:expr, $skus:expr, |$steps:ident| $call:expr) => {
        match $access {
            Access::Locked { yield_inside } => {
                let mut locked = $books.lock($skus).await;
                if yield_inside {
                    tokio::task::yield_now().await;
                }
                let $steps = &mut locked;
                $call.await
            }
            Access::Queue(servers) => {
                let $steps = &mut Queued(servers);
                $call.await
            }
            Access::Naive(_) => unreachable!("the naive strategy has its own calls"),
        }
    };
}

fn skus_of(lines: &[crate::backend::checkout::Line]) -> impl Iterator<Item = SkuIdx> {
    merged(lines).into_iter().map(|l| l.sku)
}

pub async fn take(access: Access<'_>, books: &Books, take: &Take<'_>) -> Reply {
    if let Access::Naive(hooks) = access {
        return naive_take(books, take, hooks).await;
    }
    with_steps!(access, books, skus_of(take.lines), |steps| cart::take(
        steps, take
    ))
}

pub async fn confirm(
    access: Access<'_>,
    books: &Books,
    order: &OrderRef<'_>,
    policy: AfterExpiry,
) -> Confirmed {
    if let Access::Naive(hooks) = access {
        return naive_confirm(books, order, hooks).await;
    }
    with_steps!(access, books, skus_of(order.lines), |steps| cart::confirm(
        steps, order, policy
    ))
}

pub async fn release(
    access: Access<'_>,
    books: &Books,
    order: &OrderRef<'_>,
    refund: bool,
) -> Released {
    if let Access::Naive(hooks) = access {
        return naive_release(books, order, refund, hooks).await;
    }
    with_steps!(access, books, skus_of(order.lines), |steps| cart::release(
        steps, order, refund
    ))
}

pub async fn adjust(access: Access<'_>, books: &Books, sku: SkuIdx, delta: i64) -> Reply {
    match access {
        Access::Naive(hooks) => {
            // A full-row save of what was read: a sale in between is lost.
            let (on_hand, held, sold) = {
                let b = books.book(sku).lock().await;
                (b.on_hand, b.held, b.sold)
            };
            tokio::task::yield_now().await;
            hooks.after_read().await;
            let on_hand = (on_hand as i128 + delta as i128).max(0) as u64;
            books.book(sku).lock().await.overwrite(on_hand, held, sold);
        }
        Access::Queue(servers) => {
            if Queued(servers)
                .on(sku, move |b| b.adjust(delta))
                .await
                .is_none()
            {
                return Reply::Unknown;
            }
        }
        Access::Locked { .. } => books.book(sku).lock().await.adjust(delta),
    }
    Reply::Granted
}

/// The naive take: read every line's free stock, yield, then write each
/// line's counter as read + quantity.
async fn naive_take(books: &Books, take: &Take<'_>, hooks: &Hooks) -> Reply {
    let lines = merged(take.lines);
    let mut read = Vec::with_capacity(lines.len());
    for line in &lines {
        let mut b = books.book(line.sku).lock().await;
        b.reap(take.now_us);
        if b.part(take.key).is_some() {
            return Reply::Granted;
        }
        read.push((b.free(), b.held, b.sold));
    }
    tokio::task::yield_now().await;
    hooks.after_read().await;
    if lines.iter().zip(&read).any(|(l, r)| r.0 < l.qty as i128) {
        return Reply::SoldOut;
    }
    for (line, (_, held, sold)) in lines.iter().zip(read) {
        let mut b = books.book(line.sku).lock().await;
        b.put(take.key, line.qty, take.expires_us);
        let (on_hand, now_held, now_sold) = (b.on_hand, b.held, b.sold);
        match take.expires_us {
            Some(_) => b.overwrite(on_hand, held + line.qty, now_sold),
            None => b.overwrite(on_hand, now_held, sold + line.qty),
        }
    }
    Reply::Granted
}

/// The naive confirmation: the hold row exists, so it is sold, lapsed or not.
async fn naive_confirm(books: &Books, order: &OrderRef<'_>, hooks: &Hooks) -> Confirmed {
    let lines = merged(order.lines);
    let mut read = Vec::with_capacity(lines.len());
    for line in &lines {
        let b = books.book(line.sku).lock().await;
        let Some(part) = b.part(order.key) else {
            return Confirmed::Lapsed;
        };
        if part.state == PartState::Sold {
            return Confirmed::AlreadySold;
        }
        read.push((part, b.held, b.sold));
    }
    tokio::task::yield_now().await;
    hooks.after_read().await;
    for (line, (part, held, sold)) in lines.iter().zip(read) {
        let mut b = books.book(line.sku).lock().await;
        let held = match part.state {
            PartState::Held { .. } => held.saturating_sub(part.qty),
            _ => held,
        };
        let on_hand = b.on_hand;
        b.set_state(order.key, PartState::Sold);
        b.overwrite(on_hand, held, sold + part.qty);
    }
    Confirmed::Sold
}

/// The naive release: the row exists, so its units go back, however often.
async fn naive_release(
    books: &Books,
    order: &OrderRef<'_>,
    refund: bool,
    hooks: &Hooks,
) -> Released {
    let lines = merged(order.lines);
    let mut read = Vec::with_capacity(lines.len());
    for line in &lines {
        let b = books.book(line.sku).lock().await;
        let Some(part) = b.part(order.key) else {
            return Released::Nothing;
        };
        read.push((part.qty, b.held, b.sold));
    }
    tokio::task::yield_now().await;
    hooks.after_read().await;
    for (line, (qty, held, sold)) in lines.iter().zip(read) {
        let mut b = books.book(line.sku).lock().await;
        let on_hand = b.on_hand;
        if refund {
            b.set_state(order.key, PartState::Refunded);
            b.overwrite(on_hand, held, sold.saturating_sub(qty));
        } else {
            b.set_state(order.key, PartState::Released);
            b.overwrite(on_hand, held.saturating_sub(qty), sold);
        }
    }
    Released::Released
}
