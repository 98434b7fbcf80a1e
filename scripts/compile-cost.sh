#!/usr/bin/env bash
# What the macro costs the compiler: two throwaway crates, one with 200 generated repository
# methods and a hand-written twin (same statements, prepared per connection, read by index),
# each `cargo check`ed RUNS times after touching its source. Prints the medians and the cost per
# generated method over its hand-written twin. The generated crate has a migrations folder, so
# the cost includes the compile-time schema check of every table and column. Needs no database.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
runs="${RUNS:-5}"
methods=200
target="${CARGO_TARGET_DIR:-$root/target}"
work="$target/compile-cost"
rm -rf "$work"
mkdir -p "$work/generated/src" "$work/generated/migrations" "$work/hand/src"
cat > "$work/generated/migrations/0001_users.sql" <<'SQL'
CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    phone TEXT NOT NULL,
    email TEXT,
    nick TEXT NOT NULL,
    score INTEGER NOT NULL,
    active BOOLEAN NOT NULL
);
SQL

manifest() {
  cat <<TOML
[package]
name = "compile-cost-$1"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
repo-runtime = { path = "$root/repo-runtime" }
deadpool-postgres = { version = "0.14", default-features = false, features = ["rt_tokio_1"] }

[workspace]
TOML
}
manifest generated > "$work/generated/Cargo.toml"
manifest hand > "$work/hand/Cargo.toml"

entity='#[derive(Debug, Clone, repo_runtime::Entity)]
#[entity(table = "users")]
pub struct User {
    #[entity(key)]
    pub id: i64,
    pub phone: String,
    pub email: Option<String>,
    pub nick: String,
    pub score: i32,
    pub active: bool,
}'

{
  echo "//! $methods generated methods."
  echo "use repo_runtime::{Result, repository_for};"
  echo "$entity"
  echo "#[repository_for(User)]"
  echo "pub trait Users {"
  for i in $(seq 1 "$methods"); do
    case $((i % 5)) in
      0) echo "    #[sql(\"SELECT <<columns>> FROM <<table>> WHERE <<where:id>>\")]"
         echo "    async fn m$i(&self, id: i64) -> Result<Option<User>>;" ;;
      1) echo "    #[sql(\"SELECT <<columns>> FROM <<table>> WHERE score > @min <<orderby:id>> <<limit>>\")]"
         echo "    async fn m$i(&self, min: i32, limit: i64) -> Result<Vec<User>>;" ;;
      2) echo "    #[sql(\"INSERT INTO <<table>> (<<columns>>) VALUES (<<values>>)\")]"
         echo "    async fn m$i(&self, user: &User) -> Result<u64>;" ;;
      3) echo "    #[sql(\"UPDATE <<table>> SET <<set>> WHERE <<where:id>>\")]"
         echo "    async fn m$i(&self, user: &User) -> Result<u64>;" ;;
      4) echo "    #[sql(\"SELECT <<count>> FROM <<table>> WHERE phone = @phone AND active = @active\")]"
         echo "    async fn m$i(&self, phone: &str, active: bool) -> Result<i64>;" ;;
    esac
  done
  echo "}"
} > "$work/generated/src/lib.rs"

cols="id, phone, email, nick, score, active"
{
  echo "//! The same $methods methods, hand-written."
  echo "#![allow(missing_docs)]"
  echo "use deadpool_postgres::Pool;"
  echo "pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;"
  echo "$entity" | sed 's/repo_runtime::Entity/Default/; /#\[entity/d'
  echo "fn row(r: &tokio_postgres::Row) -> User {"
  echo "    User { id: r.get(0), phone: r.get(1), email: r.get(2), nick: r.get(3), score: r.get(4), active: r.get(5) }"
  echo "}"
  echo "pub struct Users { pub pool: Pool }"
  echo "impl Users {"
  for i in $(seq 1 "$methods"); do
    case $((i % 5)) in
      0) echo "    pub async fn m$i(&self, id: i64) -> Result<Option<User>> {"
         echo "        let c = self.pool.get().await?;"
         echo "        let st = c.prepare_cached(\"SELECT $cols FROM users WHERE id = \$1\").await?;"
         echo "        Ok(c.query_opt(&st, &[&id]).await?.as_ref().map(row))"
         echo "    }" ;;
      1) echo "    pub async fn m$i(&self, min: i32, limit: i64) -> Result<Vec<User>> {"
         echo "        let c = self.pool.get().await?;"
         echo "        let st = c.prepare_cached(\"SELECT $cols FROM users WHERE score > \$1 ORDER BY id LIMIT \$2\").await?;"
         echo "        Ok(c.query(&st, &[&min, &limit]).await?.iter().map(row).collect())"
         echo "    }" ;;
      2) echo "    pub async fn m$i(&self, u: &User) -> Result<u64> {"
         echo "        let c = self.pool.get().await?;"
         echo "        let st = c.prepare_cached(\"INSERT INTO users ($cols) VALUES (\$1, \$2, \$3, \$4, \$5, \$6)\").await?;"
         echo "        Ok(c.execute(&st, &[&u.id, &u.phone, &u.email, &u.nick, &u.score, &u.active]).await?)"
         echo "    }" ;;
      3) echo "    pub async fn m$i(&self, u: &User) -> Result<u64> {"
         echo "        let c = self.pool.get().await?;"
         echo "        let st = c.prepare_cached(\"UPDATE users SET phone = \$1, email = \$2, nick = \$3, score = \$4, active = \$5 WHERE id = \$6\").await?;"
         echo "        Ok(c.execute(&st, &[&u.phone, &u.email, &u.nick, &u.score, &u.active, &u.id]).await?)"
         echo "    }" ;;
      4) echo "    pub async fn m$i(&self, phone: &str, active: bool) -> Result<i64> {"
         echo "        let c = self.pool.get().await?;"
         echo "        let st = c.prepare_cached(\"SELECT COUNT(*) FROM users WHERE phone = \$1 AND active = \$2\").await?;"
         echo "        Ok(c.query_one(&st, &[&phone, &active]).await?.get(0))"
         echo "    }" ;;
    esac
  done
  echo "}"
} > "$work/hand/src/lib.rs"
sed -i 's/^deadpool-postgres = .*/&\ntokio-postgres = "0.7"/' "$work/hand/Cargo.toml"

export CARGO_TARGET_DIR="$work/target"
for crate in generated hand; do
  (cd "$work/$crate" && cargo check --quiet 2>&1 | tail -n 5)
done

median_ms() {
  local crate=$1 times=()
  for _ in $(seq 1 "$runs"); do
    touch "$work/$crate/src/lib.rs"
    local start end
    start=$(date +%s%N)
    (cd "$work/$crate" && cargo check --quiet)
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}

gen=$(median_ms generated)
hand=$(median_ms hand)
echo "cargo check, median of $runs runs after touching the source ($methods methods each):"
echo "  generated:    ${gen} ms"
echo "  hand-written: ${hand} ms"
awk -v g="$gen" -v h="$hand" -v n="$methods" 'BEGIN { printf "  macro cost:   %.2f ms per method over hand-written (%.2f ms per method in all)\n", (g - h) / n, g / n }'
