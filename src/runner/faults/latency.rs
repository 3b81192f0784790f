//! Latency faults on the harness's call path: the delay the active faults
//! add, read once per attempt, and the call wrapped around it.
//!
//! Invariant: a knob reads as `None` whenever no latency fault is active,
//! and reading it is one relaxed atomic load; the delay is split around the
//! backend's call, so an attempt that times out before the backend saw it
//! and one that times out after it answered are both `unknown`.

use crate::backend::{Reply, SentFlag};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The added latency and jitter of every active latency fault together,
/// in microseconds, packed into one word (latency high, jitter low) so an
/// attempt reads both with one load: 2^32 µs is over an hour, far above
/// what validation lets the faults of a run add up to per call.
#[derive(Default)]
pub struct LatencyKnob(AtomicU64);

impl LatencyKnob {
    /// Set the delay every attempt from now on gets; zero clears it.
    pub fn set(&self, latency: Duration, jitter: Duration) {
        let us = |d: Duration| d.as_nanos().div_ceil(1000).min(u32::MAX as u128) as u64;
        let (latency, jitter) = (us(latency), us(jitter).min(us(latency)));
        self.0.store(latency << 32 | jitter, Ordering::Relaxed);
    }

    /// The delay of one attempt, `None` when no latency fault is active:
    /// uniform over latency ± jitter, drawn from `seed` (any value that
    /// differs between attempts).
    pub fn delay(&self, seed: u64) -> Option<Duration> {
        let packed = self.0.load(Ordering::Relaxed);
        if packed == 0 {
            return None;
        }
        let (latency, jitter) = (packed >> 32, packed & 0xffff_ffff);
        let us = if jitter == 0 {
            latency
        } else {
            latency - jitter + splitmix64(seed) % (2 * jitter + 1)
        };
        Some(Duration::from_micros(us))
    }
}

/// `call` with `delay` added: half before the request reaches the backend
/// — counted as sent from the start, as a request on a slow wire is — and
/// half after the backend answered.
pub async fn delayed(call: impl Future<Output = Reply>, sent: &SentFlag, delay: Duration) -> Reply {
    sent.mark();
    let before = delay / 2;
    tokio::time::sleep(before).await;
    let reply = call.await;
    tokio::time::sleep(delay - before).await;
    reply
}

/// A well-mixed 64-bit value from `x` (Steele, Lea and Flood's SplitMix64
/// finaliser): the jitter needs spread, not a stream.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cleared_knob_adds_nothing() {
        let knob = LatencyKnob::default();
        assert_eq!(knob.delay(1), None);
        knob.set(Duration::from_millis(50), Duration::ZERO);
        assert_eq!(knob.delay(1), Some(Duration::from_millis(50)));
        knob.set(Duration::ZERO, Duration::ZERO);
        assert_eq!(knob.delay(1), None);
    }

    #[test]
    fn jitter_spreads_delays_over_latency_plus_or_minus_jitter() {
        let knob = LatencyKnob::default();
        knob.set(Duration::from_millis(50), Duration::from_millis(20));
        let delays: Vec<Duration> = (0..10_000).filter_map(|i| knob.delay(i)).collect();
        let (min, max) = (delays.iter().min().unwrap(), delays.iter().max().unwrap());
        assert!(
            *min >= Duration::from_millis(30) && *min < Duration::from_millis(31),
            "{min:?}"
        );
        assert!(
            *max <= Duration::from_millis(70) && *max > Duration::from_millis(69),
            "{max:?}"
        );
        let mean = delays.iter().sum::<Duration>() / delays.len() as u32;
        assert!(
            mean.abs_diff(Duration::from_millis(50)) < Duration::from_millis(1),
            "{mean:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_delay_is_split_around_the_call_and_counts_as_sent() {
        let sent = SentFlag::default();
        let start = tokio::time::Instant::now();
        let reached = std::cell::Cell::new(None);
        let call = async {
            reached.set(Some(start.elapsed()));
            Reply::Granted
        };
        let reply = delayed(call, &sent, Duration::from_millis(40)).await;
        assert_eq!(reply, Reply::Granted);
        assert!(sent.is_sent());
        assert_eq!(reached.get(), Some(Duration::from_millis(20)));
        assert_eq!(start.elapsed(), Duration::from_millis(40));
    }
}
