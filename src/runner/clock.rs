//! The run's clock: nanoseconds since `t0`.
//!
//! Every order reads the clock twice (sent, answered), on the one path
//! whose cost caps the rate atpsim can offer. On Linux it reads
//! `CLOCK_MONOTONIC` — the clock `Instant` reads — straight into
//! nanoseconds: going through `Instant` and a `Duration` since `t0` costs
//! about as much again as the read itself. `Instant`s are made only where
//! tokio needs one (a sleep, a timeout), from `t0` plus the nanoseconds.
//!
//! The crate's own unit tests read tokio's clock instead, so a test that
//! pauses time pauses runs too; the direct read is tested against it.
//!
//! Invariant: `t0` and `t0_ns` name the same moment, to within the tens of
//! nanoseconds between the two reads that anchor them.

use std::time::Duration;
use tokio::time::Instant;

pub struct RunClock {
    t0: Instant,
    /// `t0` on the monotonic clock, in nanoseconds.
    #[cfg_attr(any(test, not(target_os = "linux")), allow(dead_code))]
    t0_ns: u64,
}

impl RunClock {
    /// A clock whose `t0` is `lead` from now.
    pub fn starting_in(lead: Duration) -> Self {
        RunClock {
            t0_ns: monotonic_ns() + lead.as_nanos() as u64,
            t0: Instant::now() + lead,
        }
    }

    pub fn t0(&self) -> Instant {
        self.t0
    }

    /// Nanoseconds since `t0`, or `None` before it.
    #[cfg(all(target_os = "linux", not(test)))]
    pub fn since_t0_ns(&self) -> Option<u64> {
        monotonic_ns().checked_sub(self.t0_ns)
    }

    /// Nanoseconds since `t0`, or `None` before it.
    #[cfg(any(test, not(target_os = "linux")))]
    pub fn since_t0_ns(&self) -> Option<u64> {
        let since = Instant::now().checked_duration_since(self.t0)?;
        Some(since.as_nanos() as u64)
    }

    /// Nanoseconds since `t0` (0 before it).
    pub fn now_ns(&self) -> u64 {
        self.since_t0_ns().unwrap_or(0)
    }

    /// The moment `ns` after `t0`, for tokio's timers.
    pub fn instant_at(&self, ns: u64) -> Instant {
        self.t0 + Duration::from_nanos(ns)
    }
}

/// `CLOCK_MONOTONIC` in nanoseconds.
#[cfg(target_os = "linux")]
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec and CLOCK_MONOTONIC always
    // exists on Linux, so the call only writes `ts`.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    debug_assert_eq!(rc, 0, "CLOCK_MONOTONIC is always readable");
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Not read where `since_t0_ns` goes through `Instant`.
#[cfg(not(target_os = "linux"))]
fn monotonic_ns() -> u64 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn nanoseconds_follow_the_clock_from_t0() {
        let clock = RunClock::starting_in(Duration::from_millis(5));
        assert_eq!(clock.since_t0_ns(), None, "t0 is still ahead");
        assert_eq!(clock.now_ns(), 0);
        tokio::time::advance(Duration::from_millis(20)).await;
        assert_eq!(clock.now_ns(), 15_000_000);
        assert_eq!(clock.instant_at(clock.now_ns()), Instant::now());
    }

    /// The direct read runs on the clock `Instant` reads, at its scale.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_monotonic_read_keeps_time_with_instant() {
        let (a, a_ns) = (std::time::Instant::now(), monotonic_ns());
        std::thread::sleep(Duration::from_millis(30));
        let (b_ns, b) = (monotonic_ns(), std::time::Instant::now());
        let by_instant = (b - a).as_nanos() as u64;
        let direct = b_ns - a_ns;
        assert!(direct >= 30_000_000, "{direct} ns over a 30 ms sleep");
        // Each pair of reads is taken back to back: far below a millisecond apart.
        assert!(
            by_instant.abs_diff(direct) < 1_000_000,
            "{by_instant} vs {direct}"
        );
    }
}
