//! Input rules shared by the endpoints; each failure names the JSON field.

/// A rejected field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The JSON field, in camelCase.
    pub field: std::borrow::Cow<'static, str>,
    /// What is wrong with it.
    pub message: String,
}

impl FieldError {
    /// A failure of `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// A phone number: an optional `+` and 6 to 15 digits.
pub fn phone(field: &'static str, value: &str) -> Result<(), FieldError> {
    let digits = value.strip_prefix('+').unwrap_or(value);
    if (6..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(FieldError::new(field, "must be 6 to 15 digits, optionally starting with +"))
    }
}

/// A password: 8 to 128 characters with a letter and a digit.
pub fn password(field: &'static str, value: &str) -> Result<(), FieldError> {
    let n = value.chars().count();
    if !(8..=128).contains(&n) {
        return Err(FieldError::new(field, "must be 8 to 128 characters"));
    }
    if !value.chars().any(char::is_alphabetic) || !value.chars().any(|c| c.is_ascii_digit()) {
        return Err(FieldError::new(field, "must contain a letter and a digit"));
    }
    Ok(())
}

/// A six-digit code.
pub fn code(field: &'static str, value: &str) -> Result<(), FieldError> {
    if value.len() == 6 && value.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(FieldError::new(field, "must be 6 digits"))
    }
}

/// Text of `min..=max` characters after trimming, without control characters other than
/// tab and line breaks (PostgreSQL cannot store NUL, and no field here means the others).
pub fn text(field: &'static str, value: &str, min: usize, max: usize) -> Result<(), FieldError> {
    if let Some(c) = value.chars().find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r')) {
        return Err(FieldError::new(
            field,
            format!("must not contain control characters (found U+{:04X})", c as u32),
        ));
    }
    let n = value.trim().chars().count();
    if n < min {
        Err(FieldError::new(
            field,
            if min == 1 {
                "must not be empty".to_owned()
            } else {
                format!("must be at least {min} characters")
            },
        ))
    } else if n > max {
        Err(FieldError::new(field, format!("must be at most {max} characters")))
    } else {
        Ok(())
    }
}

/// Optional text of at most `max` characters.
pub fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<(), FieldError> {
    value.map_or(Ok(()), |v| text(field, v, 0, max))
}

/// The largest page number asked for: beyond it no table here has rows, and the offset
/// (`(page - 1) * pageSize`) stays far from overflowing.
pub const MAX_PAGE: i64 = 1_000_000;

/// Paging: `page` 1 to [`MAX_PAGE`], `pageSize` 1 to 100; defaults 1 and 20.
pub fn paging(page: Option<i64>, page_size: Option<i64>) -> Result<(i64, i64), FieldError> {
    let page = page.unwrap_or(1);
    let size = page_size.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&page) {
        return Err(FieldError::new("page", format!("must be 1 to {MAX_PAGE}")));
    }
    if !(1..=100).contains(&size) {
        return Err(FieldError::new("pageSize", "must be 1 to 100"));
    }
    Ok((page, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert!(phone("phone", "+8613800138000").is_ok());
        assert!(phone("phone", "138-0013").is_err());
        assert!(password("password", "abcdefg1").is_ok());
        assert!(password("password", "abcdefgh").is_err());
        assert!(password("password", "short1").is_err());
        assert!(code("code", "012345").is_ok());
        assert!(code("code", "01234x").is_err());
        assert_eq!(paging(None, None), Ok((1, 20)));
        assert_eq!(paging(Some(0), None).unwrap_err().field, "page");
        assert_eq!(paging(None, Some(101)).unwrap_err().field, "pageSize");
        assert!(text("name", "  ", 1, 10).is_err());
        assert_eq!(text("name", "a\0b", 1, 10).unwrap_err().field, "name");
        assert!(text("name", "a\u{7}b", 1, 10).is_err());
        assert!(text("name", "line\nbreak\ttab", 1, 20).is_ok());
        assert_eq!(paging(Some(i64::MAX), Some(100)).unwrap_err().field, "page");
        assert_eq!(paging(Some(-5), None).unwrap_err().field, "page");
        assert_eq!(paging(Some(MAX_PAGE), Some(100)), Ok((MAX_PAGE, 100)));
    }
}
