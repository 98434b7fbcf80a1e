//! A customer's pets; every call answers [`AppError::NotFound`] for a pet the caller does not
//! own.

use chrono::Utc;
use repo_runtime::Crud;

use super::{AppError, AppResult, Caller};
use crate::domain::validate::{self, FieldError};
use crate::repos::pets::{Pet, PetRepository, PgPetRepository};
use crate::state::AppState;

/// The rules for what a customer writes about a pet.
fn check(p: &Pet) -> Result<(), FieldError> {
    validate::text("name", &p.name, 1, 50)?;
    validate::optional_text("breed", p.breed.as_deref(), 50)?;
    if let Some(age) = p.age
        && !(0..=50).contains(&age)
    {
        return Err(FieldError::new("age", "must be 0 to 50"));
    }
    let texts = [
        ("character", &p.character),
        ("dietaryHabits", &p.dietary_habits),
        ("healthStatus", &p.health_status),
        ("remarks", &p.remarks),
        ("foodLocation", &p.food_location),
        ("waterLocation", &p.water_location),
        ("litterBoxLocation", &p.litter_box_location),
        ("cleaningSuppliesLocation", &p.cleaning_supplies_location),
        ("specialInstructions", &p.special_instructions),
    ];
    for (field, value) in texts {
        validate::optional_text(field, value.as_deref(), 1000)?;
    }
    let urls = [
        ("avatar", &p.avatar),
        ("foodLocationImage", &p.food_location_image),
        ("waterLocationImage", &p.water_location_image),
        ("litterBoxLocationImage", &p.litter_box_location_image),
        ("cleaningSuppliesImage", &p.cleaning_supplies_image),
    ];
    for (field, value) in urls {
        validate::optional_text(field, value.as_deref(), 500)?;
    }
    Ok(())
}

/// The caller's pets.
pub async fn list(s: &AppState, caller: Caller) -> AppResult<Vec<Pet>> {
    Ok(PgPetRepository::new(&s.pool).for_owner(caller.id).await?)
}

/// Adds a pet described by `draft` (its id, owner and times are set here).
pub async fn create(s: &AppState, caller: Caller, mut draft: Pet) -> AppResult<Pet> {
    check(&draft)?;
    let now = Utc::now();
    draft.id = s.ids.next_id()?;
    draft.user_id = caller.id;
    draft.name = draft.name.trim().to_owned();
    (draft.created_at, draft.updated_at) = (now, now);
    match PgPetRepository::new(&s.pool).insert(&draft).await {
        Ok(_) => Ok(draft),
        // The token is signed, but the account it names is gone.
        Err(repo_runtime::Error::ForeignKeyViolation { .. }) => Err(AppError::Unauthenticated),
        Err(e) => Err(e.into()),
    }
}

/// One of the caller's pets.
pub async fn one(s: &AppState, caller: Caller, id: i64) -> AppResult<Pet> {
    PgPetRepository::new(&s.pool).owned(id, caller.id).await?.ok_or(AppError::NotFound)
}

/// Replaces what is written about one of the caller's pets.
pub async fn update(s: &AppState, caller: Caller, id: i64, mut draft: Pet) -> AppResult<Pet> {
    check(&draft)?;
    let pets = PgPetRepository::new(&s.pool);
    let current = pets.owned(id, caller.id).await?.ok_or(AppError::NotFound)?;
    draft.id = id;
    draft.user_id = caller.id;
    draft.name = draft.name.trim().to_owned();
    (draft.created_at, draft.updated_at) = (current.created_at, Utc::now());
    if pets.update_owned(&draft).await? == 0 {
        return Err(AppError::NotFound);
    }
    Ok(draft)
}

/// Deletes one of the caller's pets, unless it has orders.
pub async fn remove(s: &AppState, caller: Caller, id: i64) -> AppResult<()> {
    match PgPetRepository::new(&s.pool).delete_owned(id, caller.id).await {
        Ok(0) => Err(AppError::NotFound),
        Ok(_) => Ok(()),
        Err(repo_runtime::Error::ForeignKeyViolation { .. }) => {
            Err(AppError::conflict("pet_has_orders", "this pet has orders and cannot be deleted"))
        }
        Err(e) => Err(e.into()),
    }
}
