//! Argon2id password hashes (m = 19 MiB, t = 2, p = 1), computed off the async runtime with a
//! bound on how many run at once.

use std::sync::Arc;

use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::Semaphore;

/// Hashes and checks passwords.
#[derive(Debug, Clone)]
pub struct Passwords {
    permits: Arc<Semaphore>,
}

/// A hash that could not be made or read.
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed")]
pub struct HashError;

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("constant parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

impl Passwords {
    /// At most `concurrent` hashes at a time.
    pub fn new(concurrent: usize) -> Self {
        Self { permits: Arc::new(Semaphore::new(concurrent.max(1))) }
    }

    /// The PHC string for `password`.
    pub async fn hash(&self, password: &str) -> Result<String, HashError> {
        let _permit = self.permits.acquire().await.map_err(|_| HashError)?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2()
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|_| HashError)
        })
        .await
        .map_err(|_| HashError)?
    }

    /// Whether `password` matches `phc`. An unreadable hash never matches.
    pub async fn verify(&self, password: &str, phc: &str) -> bool {
        let Ok(_permit) = self.permits.acquire().await else { return false };
        let (password, phc) = (password.to_owned(), phc.to_owned());
        tokio::task::spawn_blocking(move || {
            PasswordHash::new(&phc)
                .is_ok_and(|h| argon2().verify_password(password.as_bytes(), &h).is_ok())
        })
        .await
        .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Passwords::new(2);
        let h = p.hash("correct horse 1").await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(p.verify("correct horse 1", &h).await);
        assert!(!p.verify("wrong horse 1", &h).await);
        assert!(!p.verify("x", "not a hash").await);
    }
}
