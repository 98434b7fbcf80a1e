//! Snowflake ids that stay below 2^53 (safe as JSON numbers): 41 bits of milliseconds since
//! 2024-01-01, 5 bits of worker id, 7 bits of sequence (128 ids per millisecond per worker).
//! The worker id comes from configuration for now; leasing it in Redis is a later step.

use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

/// 2024-01-01T00:00:00Z in milliseconds.
const EPOCH_MS: u64 = 1_704_067_200_000;
const WORKER_BITS: u32 = 5;
const SEQUENCE_BITS: u32 = 7;
/// The largest worker id.
pub const MAX_WORKER: u16 = (1 << WORKER_BITS) - 1;
const MAX_SEQUENCE: u64 = (1 << SEQUENCE_BITS) - 1;

/// Mints unique, roughly time-ordered ids.
#[derive(Debug)]
pub struct IdGenerator {
    worker: u64,
    state: Mutex<(u64, u64)>,
}

impl IdGenerator {
    /// A generator for `worker` (0 to [`MAX_WORKER`]).
    pub fn new(worker: u16) -> Self {
        assert!(worker <= MAX_WORKER, "worker id out of range");
        Self { worker: u64::from(worker), state: Mutex::new((0, 0)) }
    }

    fn now_ms() -> u64 {
        let ms = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        ms.saturating_sub(EPOCH_MS)
    }

    /// The next id. Within one millisecond, 128 ids; past that it waits for the next one.
    pub fn next_id(&self) -> i64 {
        let mut state = self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let (last_ms, seq) = *state;
        // A clock that steps back must not repeat ids: keep counting from the last millisecond.
        let mut now = Self::now_ms().max(last_ms);
        let seq = if now == last_ms {
            if seq >= MAX_SEQUENCE {
                while now <= last_ms {
                    std::hint::spin_loop();
                    now = Self::now_ms().max(last_ms);
                }
                0
            } else {
                seq + 1
            }
        } else {
            0
        };
        *state = (now, seq);
        ((now << (WORKER_BITS + SEQUENCE_BITS)) | (self.worker << SEQUENCE_BITS) | seq) as i64
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn ids_are_unique_increasing_and_json_safe() {
        let g = IdGenerator::new(3);
        let ids: Vec<i64> = (0..20_000).map(|_| g.next_id()).collect();
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len());
        assert!(ids.iter().all(|&id| id > 0 && id < (1 << 53)));
        assert_eq!((ids[0] >> SEQUENCE_BITS) & i64::from(MAX_WORKER), 3);
    }

    #[test]
    fn workers_never_collide() {
        let (a, b) = (IdGenerator::new(1), IdGenerator::new(2));
        let ids: HashSet<i64> = (0..5000).flat_map(|_| [a.next_id(), b.next_id()]).collect();
        assert_eq!(ids.len(), 10_000);
    }
}
