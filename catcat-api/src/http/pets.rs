//! A customer's pets. Every route answers 404 for a pet the caller does not own.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::Utc;
use repo_runtime::Crud;
use serde::Deserialize;

use super::error::{ApiError, ApiResult, ok};
use super::extract::{ApiJson, AuthUser, PathId};
use super::views::Empty;
use crate::domain::validate::{self, FieldError};
use crate::domain::{Gender, PetType};
use crate::repos::pets::{Pet, PetRepository, PgPetRepository};
use crate::state::AppState;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/pets", get(list).post(create))
        .route("/api/pets/{id}", get(one).put(update).delete(remove))
}

/// What a customer writes about a pet.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PetInput {
    name: String,
    #[serde(rename = "type")]
    pet_type: PetType,
    breed: Option<String>,
    age: Option<i32>,
    #[serde(default = "unknown_gender")]
    gender: Gender,
    avatar: Option<String>,
    character: Option<String>,
    dietary_habits: Option<String>,
    health_status: Option<String>,
    remarks: Option<String>,
    food_location: Option<String>,
    food_location_image: Option<String>,
    water_location: Option<String>,
    water_location_image: Option<String>,
    litter_box_location: Option<String>,
    litter_box_location_image: Option<String>,
    cleaning_supplies_location: Option<String>,
    cleaning_supplies_image: Option<String>,
    #[serde(default)]
    needs_water_refill: bool,
    special_instructions: Option<String>,
}

fn unknown_gender() -> Gender {
    Gender::Unknown
}

impl PetInput {
    fn check(&self) -> Result<(), FieldError> {
        validate::text("name", &self.name, 1, 50)?;
        validate::optional_text("breed", self.breed.as_deref(), 50)?;
        if let Some(age) = self.age
            && !(0..=50).contains(&age)
        {
            return Err(FieldError::new("age", "must be 0 to 50"));
        }
        let texts = [
            ("character", &self.character),
            ("dietaryHabits", &self.dietary_habits),
            ("healthStatus", &self.health_status),
            ("remarks", &self.remarks),
            ("foodLocation", &self.food_location),
            ("waterLocation", &self.water_location),
            ("litterBoxLocation", &self.litter_box_location),
            ("cleaningSuppliesLocation", &self.cleaning_supplies_location),
            ("specialInstructions", &self.special_instructions),
        ];
        for (field, value) in texts {
            validate::optional_text(field, value.as_deref(), 1000)?;
        }
        let urls = [
            ("avatar", &self.avatar),
            ("foodLocationImage", &self.food_location_image),
            ("waterLocationImage", &self.water_location_image),
            ("litterBoxLocationImage", &self.litter_box_location_image),
            ("cleaningSuppliesImage", &self.cleaning_supplies_image),
        ];
        for (field, value) in urls {
            validate::optional_text(field, value.as_deref(), 500)?;
        }
        Ok(())
    }

    fn into_pet(self, id: i64, user_id: i64, created_at: chrono::DateTime<Utc>) -> Pet {
        Pet {
            id,
            user_id,
            name: self.name.trim().to_owned(),
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
            created_at,
            updated_at: Utc::now(),
        }
    }
}

#[utoipa::path(get, path = "/api/pets", operation_id = "listPets", tag = "pets", responses((status = 200, description = "the caller's pets", body = Vec<Pet>), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn list(State(s): State<AppState>, user: AuthUser) -> ApiResult {
    ok(StatusCode::OK, "ok", PgPetRepository::new(&s.pool).for_owner(user.id).await?)
}

#[utoipa::path(post, path = "/api/pets", operation_id = "createPet", tag = "pets", request_body = PetInput, responses((status = 201, description = "created", body = Pet), (status = 404, description = "not found or not visible to the caller")), security(("bearer" = [])))]
pub(crate) async fn create(
    State(s): State<AppState>,
    user: AuthUser,
    ApiJson(b): ApiJson<PetInput>,
) -> ApiResult {
    b.check()?;
    let pet = b.into_pet(s.ids.next_id(), user.id, Utc::now());
    PgPetRepository::new(&s.pool).insert(&pet).await.map_err(ApiError::unknown_caller)?;
    ok(StatusCode::CREATED, "created", pet)
}

#[utoipa::path(get, path = "/api/pets/{id}", operation_id = "getPet", tag = "pets", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "the pet; 404 unless the caller owns it", body = Pet)), security(("bearer" = [])))]
pub(crate) async fn one(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult {
    let pet = PgPetRepository::new(&s.pool).owned(id, user.id).await?.ok_or(ApiError::NotFound)?;
    ok(StatusCode::OK, "ok", pet)
}

#[utoipa::path(put, path = "/api/pets/{id}", operation_id = "updatePet", tag = "pets", request_body = PetInput, params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "updated", body = Pet)), security(("bearer" = [])))]
pub(crate) async fn update(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
    ApiJson(b): ApiJson<PetInput>,
) -> ApiResult {
    b.check()?;
    let pets = PgPetRepository::new(&s.pool);
    let current = pets.owned(id, user.id).await?.ok_or(ApiError::NotFound)?;
    let pet = b.into_pet(id, user.id, current.created_at);
    if pets.update_owned(&pet).await? == 0 {
        return Err(ApiError::NotFound);
    }
    ok(StatusCode::OK, "updated", pet)
}

#[utoipa::path(delete, path = "/api/pets/{id}", operation_id = "deletePet", tag = "pets", params(("id" = i64, Path, description = "object id")), responses((status = 200, description = "deleted; 409 if it has orders", body = Empty), (status = 409, description = "the pet has orders and cannot be deleted")), security(("bearer" = [])))]
pub(crate) async fn remove(
    State(s): State<AppState>,
    user: AuthUser,
    PathId(id): PathId,
) -> ApiResult {
    match PgPetRepository::new(&s.pool).delete_owned(id, user.id).await {
        Ok(0) => Err(ApiError::NotFound),
        Ok(_) => ok(StatusCode::OK, "deleted", Empty {}),
        Err(repo_runtime::Error::ForeignKeyViolation { .. }) => {
            Err(ApiError::conflict("pet_has_orders", "this pet has orders and cannot be deleted"))
        }
        Err(e) => Err(e.into()),
    }
}
