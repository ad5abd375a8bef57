//! Where on-call time comes from. The broker reads the system clock; tests hand in a
//! [`ManualClock`] and move it across a hand-over, and `zt-broker dev --oncall-at` a
//! [`FixedClock`] — so who is on call can be checked at a chosen instant without sleeping.
//! Only on-call evaluation (who is on call, whether a feed is stale) reads this clock; every
//! other time in the broker stays the system's.

use std::sync::atomic::{AtomicI64, Ordering};

use zt_api::Timestamp;

/// A source of "now", in Unix seconds.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> Timestamp;
}

/// The system clock.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// Always the same instant (`zt-broker dev --oncall-at`).
#[derive(Debug)]
pub struct FixedClock(pub Timestamp);

impl Clock for FixedClock {
    fn now(&self) -> Timestamp {
        self.0
    }
}

/// A clock a test sets and moves.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        Self(AtomicI64::new(at.0))
    }

    pub fn set(&self, at: Timestamp) {
        self.0.store(at.0, Ordering::SeqCst);
    }

    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}
