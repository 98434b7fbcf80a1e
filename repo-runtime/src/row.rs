//! Reading rows into Rust values, by column index.

use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, FromSqlOwned, Type};

use crate::{Error, Result};

/// A value built from one result row, reading columns by position.
///
/// Derived for entities (`#[derive(Entity)]`) and projections (`#[derive(FromRow)]`), and
/// implemented for single-column scalars (integers, floats, `bool`, `String`, bytes, dates
/// and times, `Uuid`, `Decimal`, JSON, arrays, `Option` of any of these) and for tuples of
/// scalars, so every method return type reads its rows the same way.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be read from a result row",
    label = "not an entity, projection, scalar or tuple of scalars",
    note = "derive `Entity` or `FromRow` on the struct, or return a scalar (i64, String, …) or a tuple of scalars"
)]
pub trait FromRow: Sized {
    /// How many columns the value reads, when that is fixed (used by `verify`).
    const WIDTH: Option<usize> = None;

    /// The column each position is read into, for a struct with named fields (an entity's
    /// column names, a `FromRow` struct's field names): `verify` uses them to catch a select
    /// list in another order than the fields, which would read each value into the wrong field.
    const NAMES: Option<&'static [&'static str]> = None;

    /// What each position's field can read, as the derive sees it (for the compile-time check
    /// of hand-written statements against rows of this type).
    #[doc(hidden)]
    const SHAPES: Option<&'static [FieldShape]> = None;

    /// Whether column `index` of type `ty` can be read into this value (used by `verify`).
    fn accepts_column(index: usize, ty: &Type) -> bool {
        let _ = (index, ty);
        true
    }

    /// Reads the value from `row`, starting at column 0.
    fn from_row(row: &Row) -> Result<Self>;

    /// Reads the value where a NULL may stand for "absent": for scalars, a NULL in the only
    /// column gives `None`; for structs and tuples this is `from_row` wrapped in `Some`.
    fn from_row_opt(row: &Row) -> Result<Option<Self>> {
        Self::from_row(row).map(Some)
    }
}

/// The type of an entity's mapped field number `I`: how generated repositories name it, so that
/// it resolves in the entity's module rather than the repository's.
#[doc(hidden)]
pub trait FieldType<const I: usize> {
    /// The field's type.
    type Type;
}

/// What one field of a derived row type can read: the PostgreSQL types its Rust type is known
/// to accept (empty when the derive cannot see into the type), and whether it is an `Option`.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct FieldShape {
    pub accepts: &'static [&'static str],
    pub optional: bool,
}

/// One result column as the macro inferred it from the migrations: its type (empty when not
/// decided) and whether it can be NULL for certain.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct ColumnShape {
    pub pg_type: &'static str,
    pub nullable: bool,
    /// The build error when the field cannot read the type.
    pub wrong_type: &'static str,
    /// The build error when the field cannot hold NULL.
    pub not_option: &'static str,
}

const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Fails the build when a field of `T` cannot read the column at its position: a type it does
/// not accept, or a NULL it cannot hold (generated for a row type the macro cannot see).
#[doc(hidden)]
pub const fn assert_columns<T: FromRow>(columns: &[ColumnShape]) {
    let Some(fields) = T::SHAPES else { return };
    let mut i = 0;
    while i < columns.len() && i < fields.len() {
        let (c, f) = (&columns[i], &fields[i]);
        if c.nullable && !f.optional {
            panic!("{}", c.not_option);
        }
        if !c.pg_type.is_empty() && !f.accepts.is_empty() {
            let mut j = 0;
            let mut found = false;
            while j < f.accepts.len() {
                found |= same_str(f.accepts[j], c.pg_type);
                j += 1;
            }
            if !found {
                panic!("{}", c.wrong_type);
            }
        }
        i += 1;
    }
}

/// Fails the build with `message` when `T` reads a fixed number of columns other than
/// `selected` (generated for a row type whose width only the compiler knows).
#[doc(hidden)]
pub const fn assert_width<T: FromRow>(selected: usize, message: &'static str) {
    if let Some(width) = T::WIDTH
        && width != selected
    {
        panic!("{}", message);
    }
}

/// Reads column `index` of `row` as `T`, reporting the column on failure.
///
/// Generated `FromRow` impls call this once per field; it is `row.try_get(index)` with an
/// error that names the column.
#[inline]
pub fn column<T: FromSqlOwned>(row: &Row, index: usize) -> Result<T> {
    row.try_get(index).map_err(|source| Error::Decode {
        index,
        column: row.columns().get(index).map(|c| c.name().to_owned()).unwrap_or_default(),
        source,
    })
}

macro_rules! scalar {
    ($($ty:ty),* $(,)?) => {$(
        impl FromRow for $ty {
            const WIDTH: Option<usize> = Some(1);

            fn accepts_column(index: usize, ty: &Type) -> bool {
                index == 0 && <$ty as FromSql<'static>>::accepts(ty)
            }

            #[inline]
            fn from_row(row: &Row) -> Result<Self> {
                column(row, 0)
            }

            #[inline]
            fn from_row_opt(row: &Row) -> Result<Option<Self>> {
                column(row, 0)
            }
        }
    )*};
}

scalar!(bool, i8, i16, i32, i64, u32, f32, f64, String,);
#[cfg(feature = "chrono")]
scalar!(
    chrono::DateTime<chrono::Utc>,
    chrono::DateTime<chrono::FixedOffset>,
    chrono::NaiveDateTime,
    chrono::NaiveDate,
    chrono::NaiveTime,
);
#[cfg(feature = "time")]
scalar!(time::OffsetDateTime, time::PrimitiveDateTime, time::Date, time::Time);
#[cfg(feature = "uuid")]
scalar!(uuid::Uuid);
#[cfg(feature = "rust_decimal")]
scalar!(rust_decimal::Decimal);
#[cfg(feature = "serde_json")]
scalar!(serde_json::Value);

impl<T> FromRow for Vec<T>
where
    Vec<T>: FromSqlOwned,
{
    const WIDTH: Option<usize> = Some(1);

    fn accepts_column(index: usize, ty: &Type) -> bool {
        index == 0 && <Vec<T> as FromSql<'static>>::accepts(ty)
    }

    #[inline]
    fn from_row(row: &Row) -> Result<Self> {
        column(row, 0)
    }

    #[inline]
    fn from_row_opt(row: &Row) -> Result<Option<Self>> {
        column(row, 0)
    }
}

#[cfg(feature = "serde_json")]
impl<T: serde::de::DeserializeOwned> FromRow for crate::Json<T> {
    const WIDTH: Option<usize> = Some(1);

    fn accepts_column(index: usize, ty: &Type) -> bool {
        index == 0 && <crate::Json<T> as FromSql<'static>>::accepts(ty)
    }

    #[inline]
    fn from_row(row: &Row) -> Result<Self> {
        column(row, 0)
    }

    #[inline]
    fn from_row_opt(row: &Row) -> Result<Option<Self>> {
        column(row, 0)
    }
}

impl<T: FromSqlOwned> FromRow for Option<T> {
    const WIDTH: Option<usize> = Some(1);

    fn accepts_column(index: usize, ty: &Type) -> bool {
        index == 0 && <T as FromSql<'static>>::accepts(ty)
    }

    #[inline]
    fn from_row(row: &Row) -> Result<Self> {
        column(row, 0)
    }
}

macro_rules! tuple {
    ($($name:ident $idx:tt),+) => {
        impl<$($name: FromSqlOwned),+> FromRow for ($($name,)+) {
            const WIDTH: Option<usize> = Some([$($idx),+].len());

            fn accepts_column(index: usize, ty: &Type) -> bool {
                match index {
                    $($idx => <$name as FromSql<'static>>::accepts(ty),)+
                    _ => false,
                }
            }

            #[inline]
            fn from_row(row: &Row) -> Result<Self> {
                Ok(($(column::<$name>(row, $idx)?,)+))
            }
        }
    };
}

tuple!(A 0);
tuple!(A 0, B 1);
tuple!(A 0, B 1, C 2);
tuple!(A 0, B 1, C 2, D 3);
tuple!(A 0, B 1, C 2, D 3, E 4);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

/// A struct mapped to a table by `#[derive(Entity)]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an entity",
    label = "this type does not derive `Entity`",
    note = "add `#[derive(repo_runtime::Entity)]` to `{Self}` so `#[repository_for]` can read its table and columns"
)]
pub trait Entity: FromRow {
    /// The table, as written in SQL (quoted when it needs quoting).
    const TABLE: &'static str;
    /// Every mapped column, in field order.
    const COLUMNS: &'static [&'static str];
    /// The key column(s), in field order; empty when the entity declares no key.
    const KEY_COLUMNS: &'static [&'static str];
}

/// The PostgreSQL array type a field's values are sent as in a batch insert
/// (`INSERT … SELECT * FROM UNNEST($1, $2, …)`), one array per column.
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot be sent in a batch insert (`<<unnest>>`)",
    note = "a batch insert sends scalars, `Option`s of them and `Vec`s of them (as their elements); leave other fields out with `--exclude`"
)]
pub trait UnnestType {
    /// The array type, e.g. `INT8[]` for `i64`.
    const ARRAY_TYPE: Type;
}

macro_rules! unnest {
    ($($ty:ty => $array:ident),* $(,)?) => {$(
        impl UnnestType for $ty {
            const ARRAY_TYPE: Type = Type::$array;
        }
    )*};
}

unnest!(
    bool => BOOL_ARRAY,
    i8 => CHAR_ARRAY,
    i16 => INT2_ARRAY,
    i32 => INT4_ARRAY,
    i64 => INT8_ARRAY,
    u32 => OID_ARRAY,
    f32 => FLOAT4_ARRAY,
    f64 => FLOAT8_ARRAY,
    String => TEXT_ARRAY,
    Vec<u8> => BYTEA_ARRAY,
);
#[cfg(feature = "chrono")]
unnest!(
    chrono::DateTime<chrono::Utc> => TIMESTAMPTZ_ARRAY,
    chrono::DateTime<chrono::FixedOffset> => TIMESTAMPTZ_ARRAY,
    chrono::NaiveDateTime => TIMESTAMP_ARRAY,
    chrono::NaiveDate => DATE_ARRAY,
    chrono::NaiveTime => TIME_ARRAY,
);
#[cfg(feature = "time")]
unnest!(
    time::OffsetDateTime => TIMESTAMPTZ_ARRAY,
    time::PrimitiveDateTime => TIMESTAMP_ARRAY,
    time::Date => DATE_ARRAY,
    time::Time => TIME_ARRAY,
);
#[cfg(feature = "uuid")]
unnest!(uuid::Uuid => UUID_ARRAY);
#[cfg(feature = "rust_decimal")]
unnest!(rust_decimal::Decimal => NUMERIC_ARRAY);
#[cfg(feature = "serde_json")]
unnest!(serde_json::Value => JSONB_ARRAY);

#[cfg(feature = "serde_json")]
impl<T> UnnestType for crate::Json<T> {
    const ARRAY_TYPE: Type = Type::JSONB_ARRAY;
}

impl<T: UnnestType> UnnestType for Option<T> {
    const ARRAY_TYPE: Type = T::ARRAY_TYPE;
}

/// A field holding a PostgreSQL array (`Vec<T>` or `Option<Vec<T>>`), sent in a batch insert
/// (`<<unnest>>`) as every row's elements laid end to end plus each row's bounds in them, since
/// UNNEST takes one-dimensional arrays only: `($3::text[])[u.l2:u.u2]` gives each row its own.
#[diagnostic::on_unimplemented(
    message = "a field of type `{Self}` cannot be sent in a batch insert (`<<unnest>>`) as an array",
    note = "array-valued fields are `Vec<T>` or `Option<Vec<T>>` with `T` a type a batch insert sends (`UnnestType`)"
)]
pub trait ArrayField {
    /// The element type.
    type Element: UnnestType;
    /// The elements, or `None` for SQL NULL.
    fn elements(&self) -> Option<&[Self::Element]>;
}

impl<T: UnnestType> ArrayField for Vec<T> {
    type Element = T;
    #[inline]
    fn elements(&self) -> Option<&[T]> {
        Some(self)
    }
}

impl<T: UnnestType> ArrayField for Option<Vec<T>> {
    type Element = T;
    #[inline]
    fn elements(&self) -> Option<&[T]> {
        self.as_deref()
    }
}

/// One array-valued field of every row of a batch, as three parameters: the elements laid end
/// to end, and each row's first and last position among them (1-based, inclusive; both NULL
/// for a NULL array, last before first for an empty one).
#[doc(hidden)]
#[derive(Debug)]
pub struct Flat<'a, T> {
    pub elements: Vec<&'a T>,
    pub first: Vec<Option<i32>>,
    pub last: Vec<Option<i32>>,
}

/// Lays out one array-valued field of `rows` for `<<unnest>>` (see [`Flat`]).
#[doc(hidden)]
pub fn flatten<'a, A: ArrayField + 'a>(
    values: impl ExactSizeIterator<Item = &'a A>,
) -> Flat<'a, A::Element> {
    let n = values.len();
    let mut flat =
        Flat { elements: Vec::new(), first: Vec::with_capacity(n), last: Vec::with_capacity(n) };
    // PostgreSQL refuses arrays past 2^27 elements, long before a position overflows `i32`.
    let position = |len: usize| i32::try_from(len).unwrap_or(i32::MAX);
    for value in values {
        match value.elements() {
            Some(elements) => {
                flat.first.push(Some(position(flat.elements.len() + 1)));
                flat.elements.extend(elements);
                flat.last.push(Some(position(flat.elements.len())));
            }
            None => {
                flat.first.push(None);
                flat.last.push(None);
            }
        }
    }
    flat
}
