//! Pets, always reached through their owner.

use chrono::{DateTime, Utc};
use repo_runtime::{Entity, Result, repository_for};
use serde::Serialize;

use crate::domain::{Gender, PetType};

/// A row of `pets`.
#[derive(Debug, Clone, PartialEq, Entity, Serialize, utoipa::ToSchema)]
#[entity(table = "pets")]
#[serde(rename_all = "camelCase")]
pub struct Pet {
    /// Snowflake id.
    #[entity(key)]
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// Name.
    pub name: String,
    /// Kind.
    #[entity(rename = "type")]
    #[serde(rename = "type")]
    pub pet_type: PetType,
    /// Breed.
    pub breed: Option<String>,
    /// Age in years.
    pub age: Option<i32>,
    /// Gender.
    pub gender: Gender,
    /// Avatar URL.
    pub avatar: Option<String>,
    /// Temperament.
    pub character: Option<String>,
    /// Eating habits.
    pub dietary_habits: Option<String>,
    /// Health notes.
    pub health_status: Option<String>,
    /// Anything else.
    pub remarks: Option<String>,
    /// Where the food is.
    pub food_location: Option<String>,
    /// Photo of it.
    pub food_location_image: Option<String>,
    /// Where the water is.
    pub water_location: Option<String>,
    /// Photo of it.
    pub water_location_image: Option<String>,
    /// Where the litter box is.
    pub litter_box_location: Option<String>,
    /// Photo of it.
    pub litter_box_location_image: Option<String>,
    /// Where the cleaning supplies are.
    pub cleaning_supplies_location: Option<String>,
    /// Photo of them.
    pub cleaning_supplies_image: Option<String>,
    /// Whether the water needs refilling.
    pub needs_water_refill: bool,
    /// Special instructions for the sitter.
    pub special_instructions: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Pets.
#[repository_for(Pet, crud)]
pub trait PetRepository {
    /// An owner's pets, oldest first.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE user_id = @user_id <<orderby:created_at,id>>")]
    async fn for_owner(&self, user_id: i64) -> Result<Vec<Pet>>;

    /// A pet, if `user_id` owns it.
    #[sql("SELECT <<columns>> FROM <<table>> WHERE id = @id AND user_id = @user_id")]
    async fn owned(&self, id: i64, user_id: i64) -> Result<Option<Pet>>;

    /// Every field but the owner and creation time, if the owner matches.
    #[sql(
        "UPDATE <<table>> SET <<set --exclude user_id,created_at>> WHERE id = @pet.id AND user_id = @pet.user_id"
    )]
    async fn update_owned(&self, pet: &Pet) -> Result<u64>;

    /// Deletes a pet, if `user_id` owns it.
    #[sql("DELETE FROM <<table>> WHERE id = @id AND user_id = @user_id")]
    async fn delete_owned(&self, id: i64, user_id: i64) -> Result<u64>;
}
