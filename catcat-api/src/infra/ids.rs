//! Snowflake ids that stay below 2^53 (safe as JSON numbers): 41 bits of milliseconds since
//! 2024-01-01, 5 bits of worker id, 7 bits of sequence (128 ids per millisecond per worker).
//!
//! With Redis, each replica leases its worker id ([`super::lease`]) and mints only while the
//! lease is surely its own: the generator carries a deadline that each renewal moves, and past
//! it [`IdGenerator::next_id`] refuses ([`IdError::LeaseLost`]) rather than risk an id another
//! replica could mint too. A single node without Redis uses `WORKER_ID`, with no deadline.

use std::sync::Mutex;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// 2024-01-01T00:00:00Z in milliseconds.
const EPOCH_MS: u64 = 1_704_067_200_000;
const WORKER_BITS: u32 = 5;
const SEQUENCE_BITS: u32 = 7;
/// The largest worker id.
pub const MAX_WORKER: u16 = (1 << WORKER_BITS) - 1;
const MAX_SEQUENCE: u64 = (1 << SEQUENCE_BITS) - 1;

/// How far the clock may step back before minting is refused: a step this small is waited
/// out (ids keep counting from the last millisecond), a larger one would stall every caller.
pub const MAX_CLOCK_STEP_BACK_MS: u64 = 10;

/// Why no id was minted (the request fails with 503; retrying later is safe).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// The worker id's lease could not be renewed in time: another replica may hold it.
    #[error("the worker id lease is not held; no id is minted until it is renewed")]
    LeaseLost,
    /// The clock went back further than [`MAX_CLOCK_STEP_BACK_MS`].
    #[error("the clock went back {0} ms; no id is minted until it catches up")]
    ClockWentBack(u64),
}

#[derive(Debug)]
struct State {
    last_ms: u64,
    seq: u64,
    worker: u64,
    /// Minting stops at this instant unless a renewal moves it (`None`: not leased).
    valid_until: Option<Instant>,
}

/// Mints unique, roughly time-ordered ids.
#[derive(Debug)]
pub struct IdGenerator {
    state: Mutex<State>,
}

impl IdGenerator {
    /// A generator for `worker` (0 to [`MAX_WORKER`]), with no lease (a single node).
    pub fn new(worker: u16) -> Self {
        assert!(worker <= MAX_WORKER, "worker id out of range");
        Self {
            state: Mutex::new(State {
                last_ms: 0,
                seq: 0,
                worker: u64::from(worker),
                valid_until: None,
            }),
        }
    }

    /// A generator for a leased `worker` that mints until `valid_until` unless renewed.
    pub fn leased(worker: u16, valid_until: Instant) -> Self {
        let g = Self::new(worker);
        g.lock().valid_until = Some(valid_until);
        g
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The lease of `worker` is held until `until` (a renewal, or a new lease after a lost one).
    pub fn extend(&self, worker: u16, until: Instant) {
        let mut state = self.lock();
        state.worker = u64::from(worker);
        state.valid_until = Some(until);
    }

    /// The lease is lost: stop minting now.
    pub fn revoke(&self) {
        self.lock().valid_until = Some(Instant::now());
    }

    /// The worker id in use.
    pub fn worker(&self) -> u16 {
        self.lock().worker as u16
    }

    fn now_ms() -> u64 {
        let ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        ms.saturating_sub(EPOCH_MS)
    }

    /// The next id. Within one millisecond, 128 ids; past that it waits for the next one.
    pub fn next_id(&self) -> Result<i64, IdError> {
        let mut state = self.lock();
        if state.valid_until.is_some_and(|until| Instant::now() >= until) {
            return Err(IdError::LeaseLost);
        }
        let last_ms = state.last_ms;
        let now = Self::now_ms();
        if now + MAX_CLOCK_STEP_BACK_MS < last_ms {
            return Err(IdError::ClockWentBack(last_ms - now));
        }
        // A small step back must not repeat ids: keep counting from the last millisecond.
        let mut now = now.max(last_ms);
        let seq = if now == last_ms {
            if state.seq >= MAX_SEQUENCE {
                while now <= last_ms {
                    std::hint::spin_loop();
                    now = Self::now_ms().max(last_ms);
                }
                0
            } else {
                state.seq + 1
            }
        } else {
            0
        };
        state.last_ms = now;
        state.seq = seq;
        Ok(((now << (WORKER_BITS + SEQUENCE_BITS)) | (state.worker << SEQUENCE_BITS) | seq) as i64)
    }

    #[cfg(test)]
    fn set_last_ms(&self, ms: u64) {
        self.lock().last_ms = ms;
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::time::Duration;

    use super::*;

    #[test]
    fn ids_are_unique_increasing_and_json_safe() {
        let g = IdGenerator::new(3);
        let ids: Vec<i64> = (0..20_000).map(|_| g.next_id().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        assert!(ids.iter().all(|&id| id > 0 && id < (1 << 53)));
        assert_eq!((ids[0] >> SEQUENCE_BITS) & i64::from(MAX_WORKER), 3);
    }

    #[test]
    fn workers_never_collide() {
        let (a, b) = (IdGenerator::new(1), IdGenerator::new(2));
        let ids: HashSet<i64> =
            (0..5000).flat_map(|_| [a.next_id().unwrap(), b.next_id().unwrap()]).collect();
        assert_eq!(ids.len(), 10_000);
    }

    #[test]
    fn a_leased_generator_stops_at_its_deadline_and_a_renewal_moves_it() {
        let g = IdGenerator::leased(4, Instant::now() + Duration::from_millis(50));
        assert!(g.next_id().is_ok());
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(g.next_id(), Err(IdError::LeaseLost));
        g.extend(5, Instant::now() + Duration::from_secs(5));
        let id = g.next_id().unwrap();
        assert_eq!((id >> SEQUENCE_BITS) & i64::from(MAX_WORKER), 5, "minted as the new worker");
        g.revoke();
        assert_eq!(g.next_id(), Err(IdError::LeaseLost));
    }

    #[test]
    fn a_small_clock_step_back_is_waited_out_and_a_large_one_refused() {
        let g = IdGenerator::new(1);
        let first = g.next_id().unwrap();
        // The clock seems 5 ms behind the last id: ids go on increasing.
        g.set_last_ms(IdGenerator::now_ms() + 5);
        let ids: Vec<i64> = (0..300).map(|_| g.next_id().unwrap()).collect();
        assert!(ids[0] > first && ids.windows(2).all(|w| w[0] < w[1]));
        // A whole second behind: refused, not stalled.
        g.set_last_ms(IdGenerator::now_ms() + 1000);
        assert!(matches!(g.next_id(), Err(IdError::ClockWentBack(ms)) if ms >= 990));
    }
}
