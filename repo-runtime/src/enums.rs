//! Conversions used by `#[derive(SqlEnum)]`: enums stored as integers or as text.

use std::error::Error as StdError;

use bytes::BytesMut;
use tokio_postgres::types::{FromSql, IsNull, Kind, ToSql, Type};

type BoxError = Box<dyn StdError + Sync + Send>;

/// Whether an integer-backed enum can be read from or written to a column of type `ty`.
pub fn int_accepts(ty: &Type) -> bool {
    matches!(*ty, Type::INT2 | Type::INT4 | Type::INT8)
}

/// Writes `value` in the width of the column's integer type.
pub fn int_to_sql(value: i64, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    match *ty {
        Type::INT2 => i16::try_from(value)?.to_sql(ty, out),
        Type::INT4 => i32::try_from(value)?.to_sql(ty, out),
        _ => value.to_sql(ty, out),
    }
}

/// Reads an integer of any width.
pub fn int_from_sql(ty: &Type, raw: &[u8]) -> Result<i64, BoxError> {
    Ok(match *ty {
        Type::INT2 => i64::from(i16::from_sql(ty, raw)?),
        Type::INT4 => i64::from(i32::from_sql(ty, raw)?),
        _ => i64::from_sql(ty, raw)?,
    })
}

/// Whether a text-backed enum can be read from or written to a column of type `ty`
/// (any text type, or a PostgreSQL `ENUM` type).
pub fn text_accepts(ty: &Type) -> bool {
    matches!(*ty, Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN)
        || matches!(ty.kind(), Kind::Enum(_))
}

/// Writes a variant's name.
pub fn text_to_sql(name: &str, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    out.extend_from_slice(name.as_bytes());
    Ok(IsNull::No)
}

/// Reads a variant's name.
pub fn text_from_sql(raw: &[u8]) -> Result<&str, BoxError> {
    Ok(std::str::from_utf8(raw)?)
}

/// The error for a stored value that names no variant.
pub fn invalid(type_name: &'static str, value: impl ToString) -> BoxError {
    Box::new(crate::error::InvalidValue { type_name, value: value.to_string() })
}

/// How a `#[derive(SqlEnum)]` type is stored, for the compile-time check of its column.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stored {
    /// Not a `SqlEnum` (or a type the check cannot see into).
    Unknown,
    /// Its discriminants, in an int2/int4/int8 column.
    Int,
    /// Its variant names, in a text or ENUM column.
    Text,
}

/// Implemented by `#[derive(SqlEnum)]`.
#[doc(hidden)]
pub trait StoredAs {
    /// How the enum is stored.
    const STORED: Stored;
}

/// `<StoredProbe<T>>::STORED` is `T::STORED` for a `SqlEnum` and [`Stored::Unknown`] for any
/// other type (an inherent constant, where its bound holds, is found before the trait's).
#[doc(hidden)]
#[derive(Debug)]
pub struct StoredProbe<T: ?Sized>(std::marker::PhantomData<T>);

/// The fallback of [`StoredProbe`]; generated code brings it into scope.
#[doc(hidden)]
pub trait NotStoredAs {
    /// Not a `SqlEnum`.
    const STORED: Stored = Stored::Unknown;
}

impl<T: ?Sized> NotStoredAs for StoredProbe<T> {}

impl<T: StoredAs> StoredProbe<T> {
    /// How `T` is stored.
    pub const STORED: Stored = T::STORED;
}

/// Fails the build with the message for how the field's enum is stored, unless its column
/// holds that (`int_ok`: an integer column; `text_ok`: a text or ENUM column).
#[doc(hidden)]
pub const fn assert_stored(
    stored: Stored,
    int_ok: bool,
    text_ok: bool,
    if_int: &'static str,
    if_text: &'static str,
) {
    match stored {
        Stored::Int if !int_ok => panic!("{}", if_int),
        Stored::Text if !text_ok => panic!("{}", if_text),
        _ => {}
    }
}
