//! The enums of the data model: stored as SMALLINT, sent as their integer values in JSON
//! (compatible with the original clients).

/// Declares an enum stored as an integer and (de)serialized as that integer.
macro_rules! int_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $value:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, repo_runtime::SqlEnum)]
        pub enum $name {
            $($(#[$vmeta])* $variant = $value,)+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and serialized value.
            pub const fn value(self) -> i16 {
                self as i16
            }

            /// The variant with `value`.
            pub fn from_value(value: i64) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| i64::from(v.value()) == value)
            }
        }

        /// In the API description: an integer, one of the values, each named in the text.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let names: Vec<String> = Self::ALL
                    .iter()
                    .map(|v| format!("{} = {:?}", v.value(), v))
                    .collect();
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::Integer)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.value())))
                    .description(Some(names.join(", ")))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_i16(self.value())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = i64::deserialize(d)?;
                Self::from_value(v).ok_or_else(|| {
                    let valid: Vec<String> = Self::ALL.iter().map(|x| x.value().to_string()).collect();
                    serde::de::Error::custom(format!(
                        "{v} is not a valid {}; expected one of {}",
                        stringify!($name),
                        valid.join(", ")
                    ))
                })
            }
        }
    };
}

int_enum!(
    /// What a user may do.
    UserRole { Customer = 1, ServiceProvider = 2, Admin = 99 }
);
int_enum!(
    /// Whether a user may sign in.
    UserStatus { Pending = 0, Active = 1, Suspended = 2, Banned = 3 }
);
int_enum!(
    /// Kind of pet.
    PetType { Cat = 1, Dog = 2, Other = 99 }
);
int_enum!(
    /// A pet's gender.
    Gender { Unknown = 0, Male = 1, Female = 2 }
);
int_enum!(
    /// Where an order is in its life.
    OrderStatus { Queued = -1, Pending = 0, Accepted = 1, InProgress = 2, Completed = 3, Cancelled = 4, Refunded = 5 }
);
int_enum!(
    /// A payment's state.
    PaymentStatus { Pending = 0, Processing = 1, Succeeded = 2, Failed = 3, Cancelled = 4, Refunded = 5 }
);
int_enum!(
    /// A step a sitter reports.
    ProgressStatus {
        OnTheWay = 1, Arrived = 2, StartService = 3, Feeding = 4, CleaningLitter = 5, Playing = 6,
        Grooming = 7, TakingPhotos = 8, Completed = 9,
    }
);
int_enum!(
    /// A provider application's review state.
    ProviderVerify { Pending = 0, Approved = 1, Rejected = 2 }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_travel_as_their_integers() {
        assert_eq!(serde_json::to_string(&UserRole::Admin).unwrap(), "99");
        assert_eq!(serde_json::from_str::<OrderStatus>("-1").unwrap(), OrderStatus::Queued);
        let err = serde_json::from_str::<PetType>("3").unwrap_err().to_string();
        assert!(err.contains("3 is not a valid PetType; expected one of 1, 2, 99"), "{err}");
    }

    #[test]
    fn enums_are_described_as_their_integers() {
        let schema = serde_json::to_value(<UserRole as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(schema["type"], "integer");
        assert_eq!(schema["enum"], serde_json::json!([1, 2, 99]));
        assert_eq!(schema["description"], "1 = Customer, 2 = ServiceProvider, 99 = Admin");
    }
}
