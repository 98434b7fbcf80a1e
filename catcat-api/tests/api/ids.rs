//! Leased worker ids: replicas sharing one Redis never mint the same id, a replica cut off
//! from Redis stops minting before another can take its worker id, and a full house is a
//! clear startup error.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use catcat_api::infra::ids::{IdError, IdGenerator};
use catcat_api::infra::kv::Kv;
use catcat_api::infra::lease::{Lease, LeaseError, keep};

use super::support::{Cuttable, TestApp, redis_url, unique};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn three_replicas_minting_concurrently_never_repeat_an_id() {
    let first = TestApp::spawn().await;
    let second = first.replica().await;
    let third = first.replica().await;
    let generators: Vec<Arc<IdGenerator>> =
        [&first, &second, &third].iter().map(|a| a.state.ids.clone()).collect();
    let workers: HashSet<u16> = generators.iter().map(|g| g.worker()).collect();
    assert_eq!(workers.len(), 3, "each replica leased its own worker id: {workers:?}");

    let threads: Vec<_> = generators
        .into_iter()
        .flat_map(|g| [g.clone(), g])
        .map(|g| {
            std::thread::spawn(move || {
                (0..50_000).map(|_| g.next_id().expect("the lease is held")).collect::<Vec<i64>>()
            })
        })
        .collect();
    let mut all = HashSet::new();
    let mut minted = 0;
    for t in threads {
        for id in t.join().unwrap() {
            assert!(id > 0 && id < (1 << 53), "{id} is not a safe JSON integer");
            all.insert(id);
            minted += 1;
        }
    }
    assert_eq!(minted, 300_000);
    assert_eq!(all.len(), minted, "{} duplicates", minted - all.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_cut_off_from_redis_stops_minting_before_another_takes_its_worker_id() {
    let prefix = format!("{}:", unique("lease"));
    let redis_addr = redis_url().trim_start_matches("redis://").to_owned();
    let proxy = Cuttable::to(&redis_addr).await;
    let cut_off = Kv::redis(&format!("redis://{}", proxy.addr), &prefix).await.unwrap();
    let other = Kv::redis(&redis_url(), &prefix).await.unwrap();
    let ttl = Duration::from_secs(3);

    let (lease, until) = Lease::acquire(&cut_off, 7, ttl).await.unwrap().unwrap();
    assert_eq!(lease.worker(), 7);
    let ids = Arc::new(IdGenerator::leased(7, until));
    let (_stop, stopped) = tokio::sync::watch::channel(false);
    tokio::spawn(keep(lease, ids.clone(), cut_off.clone(), stopped));
    // It keeps minting through renewals, well past one time to live.
    tokio::time::sleep(ttl + Duration::from_secs(1)).await;
    assert!(ids.next_id().is_ok(), "renewals keep the lease");

    proxy.cut();
    let cut_at = Instant::now();
    // This replica mints as long as it may; another takes worker 7 as soon as Redis lets it.
    let minting = {
        let ids = ids.clone();
        std::thread::spawn(move || {
            let mut last_ok = None;
            loop {
                match ids.next_id() {
                    Ok(_) => last_ok = Some(Instant::now()),
                    Err(IdError::LeaseLost) => return last_ok,
                    Err(e) => panic!("{e}"),
                }
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let taken_at = loop {
        if other.set_nx("ids:worker:7", "another replica", ttl).await.unwrap() {
            break Instant::now();
        }
        assert!(cut_at.elapsed() < ttl * 3, "worker 7 was never freed");
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let last_minted = minting.join().unwrap().expect("it minted after the cut");
    assert!(
        last_minted < taken_at,
        "the cut-off replica minted {:?} after another replica took its worker id",
        last_minted - taken_at
    );
    assert!(last_minted > cut_at, "it went on minting until its deadline, not at once");
}

#[tokio::test]
async fn with_every_worker_id_leased_the_next_replica_is_refused_clearly() {
    let prefix = format!("{}:", unique("full"));
    let kv = Kv::redis(&redis_url(), &prefix).await.unwrap();
    let ttl = Duration::from_secs(30);
    let mut held = Vec::new();
    for _ in 0..32 {
        held.push(Lease::acquire(&kv, 0, ttl).await.unwrap().unwrap().0);
    }
    let workers: HashSet<u16> = held.iter().map(Lease::worker).collect();
    assert_eq!(workers.len(), 32);
    let refused = Lease::acquire(&kv, 0, ttl).await.unwrap_err();
    assert!(matches!(refused, LeaseError::NoneFree));
    assert!(refused.to_string().contains("no free worker id"), "{refused}");
    // Redis forgets its scripts (a restart, a failover): they are loaded again on NOSCRIPT.
    let mut redis =
        tokio::net::TcpStream::connect(redis_url().trim_start_matches("redis://")).await.unwrap();
    tokio::io::AsyncWriteExt::write_all(&mut redis, b"SCRIPT FLUSH\r\n").await.unwrap();
    let mut answer = [0u8; 5];
    tokio::io::AsyncReadExt::read_exact(&mut redis, &mut answer).await.unwrap();
    assert_eq!(&answer, b"+OK\r\n");
    // A replica that stops gives its id back at once.
    held.pop().unwrap().release().await;
    assert!(Lease::acquire(&kv, 0, ttl).await.unwrap().is_some());
    for lease in held {
        lease.release().await;
    }
}
