//! The `time` feature: the time crate's types as fields, through one row, `<<unnest>>`, COPY
//! and `verify()`, with the same values PostgreSQL shows for chrono's.

use repo_runtime::types::time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use repo_runtime::{Crud, Entity, Result, repository_for};
use repo_tests::db::TestDb;

#[derive(Debug, Clone, PartialEq, Entity)]
#[entity(table = "stamps", schema = false)]
pub(crate) struct Stamp {
    #[entity(key)]
    id: i64,
    at: OffsetDateTime,
    local: PrimitiveDateTime,
    day: Date,
    clock: Option<Time>,
}

#[repository_for(Stamp, name = Stamps, crud)]
pub(crate) trait StampRepository {
    /// One statement for the whole slice.
    #[sql("INSERT INTO <<table>> (<<columns>>) <<unnest>>")]
    async fn add_all(&self, stamps: &[Stamp]) -> Result<u64>;

    /// Those on a day.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE day = @day <<orderby:id>>")]
    async fn on(&self, day: Date) -> Result<Vec<Stamp>>;
}

fn stamp(id: i64) -> Stamp {
    let day = Date::from_calendar_date(2024, Month::February, 29).expect("a leap day");
    let clock = Time::from_hms_micro(13, 14, 15, 161_718).expect("a time");
    let local = PrimitiveDateTime::new(day, clock);
    Stamp { id, at: local.assume_utc(), local, day, clock: (id % 2 == 0).then_some(clock) }
}

#[tokio::test]
async fn time_crate_types_round_trip_through_every_write() {
    let db = TestDb::new(
        "CREATE TABLE stamps (id BIGINT PRIMARY KEY, at TIMESTAMPTZ NOT NULL, \
         local TIMESTAMP NOT NULL, day DATE NOT NULL, clock TIME)",
    )
    .await;
    let client = db.client().await;
    let stamps = Stamps::new(&client);
    assert!(stamps.verify().await.unwrap().is_ok());
    assert_eq!(stamps.insert(&stamp(1)).await.unwrap(), 1);
    assert_eq!(stamps.add_all(&[stamp(2), stamp(3)]).await.unwrap(), 2);
    assert_eq!(stamps.insert_many(&[stamp(4)]).await.unwrap(), 1);
    assert_eq!(stamps.copy_in(&[stamp(5)]).await.unwrap(), 1);
    let all = stamps.on(stamp(1).day).await.unwrap();
    assert_eq!(all, (1..=5).map(stamp).collect::<Vec<_>>());
    let shown: String = client
        .query_one(
            "SELECT (at AT TIME ZONE 'UTC')::text || ' ' || local::text FROM stamps WHERE id = 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(shown, "2024-02-29 13:14:15.161718 2024-02-29 13:14:15.161718");
}
