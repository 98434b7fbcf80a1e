//! A customer's pets over HTTP; the rules are in [`crate::app::pets`].

use axum::extract::State;
use chrono::Utc;
use serde::Deserialize;

use super::answer::{ApiResult, ok};
use super::extract::{ApiJson, AuthUser, PathId};
use super::views::Empty;
use crate::app::pets;
use crate::domain::{Gender, PetType};
use crate::repos::pets::Pet;
use crate::state::AppState;

routes!(list, create, one, update, remove);

/// What a customer writes about a pet.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PetInput {
    #[schema(
        min_length = 1,
        max_length = 50,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    name: String,
    #[serde(rename = "type")]
    pet_type: PetType,
    #[schema(
        max_length = 50,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    breed: Option<String>,
    #[schema(minimum = 0, maximum = 50)]
    age: Option<i32>,
    #[serde(default = "unknown_gender")]
    gender: Gender,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    avatar: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    character: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    dietary_habits: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    health_status: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    remarks: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    food_location: Option<String>,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    food_location_image: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    water_location: Option<String>,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    water_location_image: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    litter_box_location: Option<String>,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    litter_box_location_image: Option<String>,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    cleaning_supplies_location: Option<String>,
    #[schema(
        max_length = 500,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    cleaning_supplies_image: Option<String>,
    #[serde(default)]
    needs_water_refill: bool,
    #[schema(
        max_length = 1000,
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$"
    )]
    special_instructions: Option<String>,
}

fn unknown_gender() -> Gender {
    Gender::Unknown
}

impl PetInput {
    /// The pet as written; the workflow sets its id, owner and times.
    fn into_draft(self) -> Pet {
        let now = Utc::now();
        Pet {
            id: 0,
            user_id: 0,
            name: self.name,
            pet_type: self.pet_type,
            breed: self.breed,
            age: self.age,
            gender: self.gender,
            avatar: self.avatar,
            character: self.character,
            dietary_habits: self.dietary_habits,
            health_status: self.health_status,
            remarks: self.remarks,
            food_location: self.food_location,
            food_location_image: self.food_location_image,
            water_location: self.water_location,
            water_location_image: self.water_location_image,
            litter_box_location: self.litter_box_location,
            litter_box_location_image: self.litter_box_location_image,
            cleaning_supplies_location: self.cleaning_supplies_location,
            cleaning_supplies_image: self.cleaning_supplies_image,
            needs_water_refill: self.needs_water_refill,
            special_instructions: self.special_instructions,
            created_at: now,
            updated_at: now,
        }
    }
}

#[utoipa::path(get, path = "/api/pets", operation_id = "listPets", tag = "pets", responses((status = 200, description = "the caller's pets", body = Vec<Pet>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn list(State(s): State<AppState>, user: AuthUser) -> ApiResult<Vec<Pet>> {
    ok("ok", pets::list(&s, user).await?)
}

#[utoipa::path(post, path = "/api/pets", operation_id = "createPet", tag = "pets", request_body = PetInput, responses((status = 201, description = "created", body = Pet), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn create(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<PetInput>,
) -> ApiResult<Pet, 201> {
    ok("created", pets::create(&s, user, b.into_draft()).await?)
}

#[utoipa::path(get, path = "/api/pets/{id}", operation_id = "getPet", tag = "pets", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "the pet; 404 unless the caller owns it", body = Pet)), security(("bearer" = [])))]
pub(crate) async fn one(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult<Pet> {
    ok("ok", pets::one(&s, user, id).await?)
}

#[utoipa::path(put, path = "/api/pets/{id}", operation_id = "updatePet", tag = "pets", request_body = PetInput, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "updated", body = Pet)), security(("bearer" = [])))]
pub(crate) async fn update(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<PetInput>,
) -> ApiResult<Pet> {
    ok("updated", pets::update(&s, user, id, b.into_draft()).await?)
}

#[utoipa::path(delete, path = "/api/pets/{id}", operation_id = "deletePet", tag = "pets", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "deleted; 409 if it has orders", body = Empty), (status = 409, description = "the pet has orders and cannot be deleted")), security(("bearer" = [])))]
pub(crate) async fn remove(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult<Empty> {
    pets::remove(&s, user, id).await?;
    ok("deleted", Empty {})
}
