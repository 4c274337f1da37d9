//! Connections that have not shown a verified certificate yet, capped. A
//! connection holds a [`Ticket`] from accept until its certificate is
//! verified and it has a connection slot. When `cap` tickets are out, the
//! oldest one that has sent nothing for `evict_after`, or else the oldest
//! that started a handshake [`ACTIVE_EVICT_FACTOR`] times that long ago, is
//! cut (its handshake abandoned) to make room; if none is, the accept loop
//! waits. Real agents send their hello at once and finish the handshake
//! within milliseconds (seconds on a loaded machine), so what gets cut is a
//! connection that sits idle without a certificate: a thousand of them no
//! longer keep enrolled hosts waiting in the listen queue.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, oneshot};

/// A connection that has started its handshake may be cut only after this
/// many times `evict_after`.
pub const ACTIVE_EVICT_FACTOR: u32 = 5;

#[derive(Debug)]
struct Place {
    since: Instant,
    /// Bytes arrived: the handshake has started.
    active: Arc<AtomicBool>,
    cut: oneshot::Sender<()>,
}

#[derive(Debug, Default)]
struct Open {
    next: u64,
    tickets: BTreeMap<u64, Place>,
}

/// The table of connections still without a verified certificate.
#[derive(Debug)]
pub struct Handshakes {
    cap: usize,
    evict_after: Duration,
    open: Mutex<Open>,
    freed: Notify,
    evicted: AtomicU64,
}

/// One connection's place in the table; dropping it frees the place.
#[derive(Debug)]
pub struct Ticket {
    id: u64,
    table: Arc<Handshakes>,
    active: Arc<AtomicBool>,
    /// Completes when the connection was cut to make room for a newer one.
    pub cut: oneshot::Receiver<()>,
}

impl Ticket {
    /// The client has sent its first bytes: it is handshaking, not idle.
    pub fn mark_active(&self) {
        self.active.store(true, Ordering::Relaxed);
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.table.lock();
        open.tickets.remove(&self.id);
        drop(open);
        self.table.freed.notify_one();
    }
}

impl Handshakes {
    /// At most `cap` connections without a verified certificate; one waiting
    /// `evict_after` or longer may be cut for a new one.
    pub fn new(cap: usize, evict_after: Duration) -> Arc<Handshakes> {
        Arc::new(Handshakes {
            cap: cap.max(1),
            evict_after,
            open: Mutex::new(Open::default()),
            freed: Notify::new(),
            evicted: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        match self.open.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// A place for a newly accepted connection: at once when there is room
    /// or an old enough connection can be cut, else as soon as there is.
    pub async fn enter(self: &Arc<Self>) -> Ticket {
        loop {
            match self.try_enter() {
                Ok(ticket) => return ticket,
                Err(wait) => {
                    tokio::select! {
                        _ = self.freed.notified() => {}
                        _ = tokio::time::sleep(wait.max(Duration::from_millis(1))) => {}
                    }
                }
            }
        }
    }

    /// A place now, cutting the oldest connection if the table is full and
    /// it is old enough; else how long until it is.
    fn try_enter(self: &Arc<Self>) -> Result<Ticket, Duration> {
        let mut open = self.lock();
        if open.tickets.len() >= self.cap {
            let active_after = self.evict_after * ACTIVE_EVICT_FACTOR;
            let mut soonest = active_after;
            let mut victim = None;
            for (&id, place) in &open.tickets {
                let age = place.since.elapsed();
                let after = if place.active.load(Ordering::Relaxed) {
                    active_after
                } else {
                    self.evict_after
                };
                if age >= after {
                    victim = Some(id);
                    break;
                }
                soonest = soonest.min(after - age);
            }
            let Some(id) = victim else {
                return Err(soonest);
            };
            if let Some(place) = open.tickets.remove(&id) {
                let _ = place.cut.send(());
            }
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
        let id = open.next;
        open.next += 1;
        let (tx, cut) = oneshot::channel();
        let active = Arc::new(AtomicBool::new(false));
        open.tickets.insert(
            id,
            Place {
                since: Instant::now(),
                active: active.clone(),
                cut: tx,
            },
        );
        Ok(Ticket {
            id,
            table: self.clone(),
            active,
            cut,
        })
    }

    /// How many connections were cut so far.
    pub fn evicted(&self) -> u64 {
        self.evicted.load(Ordering::Relaxed)
    }

    /// How many connections hold a place now.
    pub fn len(&self) -> usize {
        self.lock().tickets.len()
    }

    /// Whether no connection holds a place.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_connection_that_started_its_handshake_is_cut_only_much_later() {
        let table = Handshakes::new(1, Duration::from_millis(30));
        let mut busy = table.enter().await;
        busy.mark_active();
        let started = Instant::now();
        let _next = table.enter().await;
        assert!(
            started.elapsed() >= Duration::from_millis(80),
            "{:?}",
            started.elapsed()
        );
        assert!((&mut busy.cut).await.is_ok());
    }

    #[tokio::test]
    async fn the_oldest_idle_connection_is_cut_for_a_new_one() {
        let table = Handshakes::new(2, Duration::from_millis(50));
        let mut first = table.enter().await;
        let _second = table.enter().await;
        assert_eq!(table.len(), 2);
        // Full, and nobody is old enough yet: the third waits until the first is.
        let started = Instant::now();
        let _third = table.enter().await;
        assert!(started.elapsed() >= Duration::from_millis(40));
        assert!((&mut first.cut).await.is_ok(), "the oldest was cut");
        assert_eq!(table.evicted(), 1);
        assert_eq!(table.len(), 2);
        // A freed place is taken without cutting anyone.
        drop(first);
        drop(_second);
        let _fourth = table.enter().await;
        assert_eq!(table.evicted(), 1);
    }
}
