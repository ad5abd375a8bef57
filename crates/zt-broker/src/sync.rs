//! In-process coordination keyed by request id: wake-ups for long-polls when a request's
//! state changes, and a per-grant lock so two concurrent first credential calls mint once.
//! Other replicas' changes arrive through [`crate::store::events`] and end up here too;
//! their minting is kept apart by [`crate::store::GrantLock`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

/// Long-poll wake-ups. A waiter subscribes *before* reading the state, then sleeps on its
/// receiver; every transition of that id bumps the counter and wakes it.
#[derive(Default)]
pub struct Notifier {
    senders: Mutex<HashMap<String, watch::Sender<u64>>>,
}

impl Notifier {
    fn map(&self) -> MutexGuard<'_, HashMap<String, watch::Sender<u64>>> {
        // A panic while holding this lock leaves only a map of channels behind: keep going.
        self.senders.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn subscribe(self: &Arc<Self>, id: &str) -> Subscription {
        let rx = self
            .map()
            .entry(id.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Subscription {
            rx,
            id: id.to_owned(),
            notifier: Arc::clone(self),
        }
    }

    /// Something happened to `id`: wake everyone waiting on it.
    pub fn notify(&self, id: &str) {
        if let Some(tx) = self.map().get(id) {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// Anything may have changed (events from other replicas were lost): wake every waiter.
    pub fn notify_all(&self) {
        for tx in self.map().values() {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    /// How many ids have waiters (tests: subscriptions are cleaned up).
    pub fn len(&self) -> usize {
        self.map().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One waiter on one id; removes the id's channel when the last waiter goes.
pub struct Subscription {
    rx: watch::Receiver<u64>,
    id: String,
    notifier: Arc<Notifier>,
}

impl Subscription {
    /// Resolves at the next notification for this id.
    pub async fn changed(&mut self) {
        // The sender lives in the map as long as this subscription does, so this cannot fail
        // while we hold it; if it ever did, treat it as a change and let the caller re-read.
        let _ = self.rx.changed().await;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut map = self.notifier.map();
        // This receiver still counts until it is dropped after this fn; 1 means "only us".
        if map.get(&self.id).is_some_and(|tx| tx.receiver_count() <= 1) {
            map.remove(&self.id);
        }
    }
}

/// Per-grant async locks for minting.
#[derive(Default)]
pub struct MintLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl MintLocks {
    pub async fn lock(&self, id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut map = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            // Forget locks nobody holds or waits for, so the map stays small.
            map.retain(|_, l| Arc::strong_count(l) > 1);
            Arc::clone(map.entry(id.to_owned()).or_default())
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn a_notification_wakes_a_waiter_and_cleans_up() {
        let n = Arc::new(Notifier::default());
        let mut sub = n.subscribe("r1");
        let n2 = Arc::clone(&n);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            n2.notify("r1");
        });
        tokio::time::timeout(Duration::from_secs(5), sub.changed())
            .await
            .unwrap();
        assert_eq!(n.len(), 1);
        drop(sub);
        assert!(n.is_empty());
        n.notify("nobody"); // no waiters: nothing to do, no entry created
        assert!(n.is_empty());
    }

    #[tokio::test]
    async fn mint_locks_serialise_one_id() {
        let l = MintLocks::default();
        let g = l.lock("a").await;
        assert!(
            tokio::time::timeout(Duration::from_millis(50), l.lock("a"))
                .await
                .is_err()
        );
        let _other = tokio::time::timeout(Duration::from_millis(50), l.lock("b"))
            .await
            .unwrap();
        drop(g);
        let _again = tokio::time::timeout(Duration::from_millis(50), l.lock("a"))
            .await
            .unwrap();
    }
}
