//! Entity attributes, entities in other modules, composite keys and executors.

mod models {
    use repo_runtime::Entity;

    #[derive(Debug, Clone, Entity)]
    pub struct OrderLine {
        #[entity(key)]
        pub order_id: i64,
        #[entity(key)]
        pub line_no: i32,
        #[entity(rename = "stock_keeping_unit")]
        pub sku: String,
        #[entity(skip)]
        pub cached_total: Option<f64>,
    }
}

mod repos {
    use repo_runtime::{Result, repository_for};

    use crate::models::OrderLine;

    #[repository_for(OrderLine, name = OrderLines)]
    pub trait OrderLineRepository {
        #[sql("SELECT <<columns>> FROM <<table>> WHERE <<where:id>>")]
        async fn get(&self, order_id: i64, line_no: i32) -> Result<Option<OrderLine>>;

        #[sql("UPDATE <<table>> SET <<set>> WHERE <<where:id>>")]
        async fn update(&self, line: &OrderLine) -> Result<u64>;
    }

    #[repository_for(crate::models::OrderLine)]
    pub trait ByPath {
        #[sql("SELECT <<columns>> FROM <<table>>")]
        async fn all(&self) -> Result<Vec<crate::models::OrderLine>>;
    }
}

use repo_runtime::Entity;
use repos::OrderLineRepository;

async fn over_every_executor(
    pool: deadpool_postgres::Pool,
    client: &tokio_postgres::Client,
    tx: &tokio_postgres::Transaction<'_>,
    connected: &repo_runtime::CachedClient,
    pooled: &deadpool_postgres::Object,
    pooled_tx: &deadpool_postgres::Transaction<'_>,
) -> repo_runtime::Result<()> {
    repos::OrderLines::new(pool).get(1, 1).await?;
    repos::OrderLines::new(repo_runtime::Uncached(client)).get(1, 1).await?;
    repos::OrderLines::new(repo_runtime::Uncached(tx)).get(1, 1).await?;
    repos::OrderLines::new(connected).get(1, 1).await?;
    repos::OrderLines::new(pooled).get(1, 1).await?;
    repos::OrderLines::new(pooled_tx).get(1, 1).await?;
    Ok(())
}

fn main() {
    assert_eq!(models::OrderLine::TABLE, "order_line");
    assert_eq!(models::OrderLine::COLUMNS, ["order_id", "line_no", "stock_keeping_unit"]);
    assert_eq!(models::OrderLine::KEY_COLUMNS, ["order_id", "line_no"]);
    let _ = over_every_executor;
    let _ = repos::PgByPath::<()>::STATEMENTS;
}
