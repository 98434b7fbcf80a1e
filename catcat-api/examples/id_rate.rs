//! Ids one replica's generator mints per second, leased as in a cluster (every call checks the
//! lease's deadline), from one thread and from one thread per core. The layout allows 128 ids
//! per millisecond per worker, so 128,000 a second is the ceiling.
//!
//! `cargo run --release -p catcat-api --example id_rate`

#![allow(clippy::print_stdout, reason = "a measurement prints its figures")]

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use catcat_api::infra::ids::IdGenerator;

fn main() {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    for threads in [1, cores] {
        let ids = Arc::new(IdGenerator::leased(7, Instant::now() + Duration::from_secs(60)));
        let run = Duration::from_secs(2);
        let start = Instant::now();
        let minted: Vec<Vec<i64>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    let ids = Arc::clone(&ids);
                    s.spawn(move || {
                        let mut out = Vec::with_capacity(300_000);
                        while start.elapsed() < run {
                            out.push(ids.next_id().expect("the lease is held"));
                        }
                        out
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().expect("a minting thread")).collect()
        });
        let elapsed = start.elapsed().as_secs_f64();
        let total: usize = minted.iter().map(Vec::len).sum();
        let distinct: HashSet<i64> = minted.iter().flatten().copied().collect();
        assert_eq!(distinct.len(), total, "an id was minted twice");
        println!(
            "{threads} thread(s): {total} ids in {elapsed:.2} s = {:.0} ids/s (ceiling 128,000)",
            total as f64 / elapsed
        );
    }
}
