//! Durations (`500ms`, `5s`) and sizes (`64MiB`, `1M`) as people write them:
//! the API's `timeout` field and `goru`'s command-line flags take the same
//! texts, and messages write sizes the same way.

use std::time::Duration;

/// The longest timeout accepted: a year is "no limit" for any real use, and
/// keeps deadline arithmetic far from overflow.
const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 24 * 3600);

/// Parses a positive duration: a number with an optional unit, `ms`, `s`
/// (the default), `m` or `h`, fractions allowed (`1.5s`, `0.25`); or
/// several as Go and humantime write them (`1m30s`, `1h 30m`).
///
/// ```
/// use goru_server::units::parse_duration;
/// use std::time::Duration;
///
/// assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
/// assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
/// assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
/// assert!(parse_duration("0").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let duration = match one_unit(text) {
        Ok(duration) => duration,
        Err(message) => humantime::parse_duration(text).map_err(|_| message)?,
    };
    if duration.is_zero() {
        return Err("must be greater than zero".into());
    }
    if duration > MAX_TIMEOUT {
        return Err("must be at most a year (8760h)".into());
    }
    Ok(duration)
}

/// A number and at most one unit.
fn one_unit(text: &str) -> Result<Duration, String> {
    let (number, unit) = split_number(text);
    let seconds_per_unit = match unit.to_ascii_lowercase().as_str() {
        "ms" => 0.001,
        "" | "s" | "sec" | "secs" => 1.0,
        "m" | "min" | "mins" => 60.0,
        "h" | "hr" | "hrs" => 3600.0,
        other => {
            return Err(format!(
                "unknown time unit '{other}' (use ms, s, m or h, or several: 1m30s)"
            ));
        }
    };
    let value = parse_number(number)?;
    Duration::try_from_secs_f64(value * seconds_per_unit)
        .map_err(|_| format!("'{text}' is not a usable duration"))
}

/// Parses a positive byte count: a number with an optional unit. `K`, `M`,
/// `G` (and `KiB`, `MiB`, `GiB`, any case) are powers of 1024, as for memory
/// limits elsewhere; `KB`, `MB`, `GB` are powers of 1000; `B` or no unit is bytes.
///
/// ```
/// use goru_server::units::parse_size;
///
/// assert_eq!(parse_size("64MiB"), Ok(64 << 20));
/// assert_eq!(parse_size("64MB"), Ok(64_000_000));
/// assert!(parse_size("lots").is_err());
/// ```
pub fn parse_size(text: &str) -> Result<u64, String> {
    let (number, unit) = split_number(text);
    let multiplier: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "ki" | "kib" => 1 << 10,
        "m" | "mi" | "mib" => 1 << 20,
        "g" | "gi" | "gib" => 1 << 30,
        "t" | "ti" | "tib" => 1 << 40,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        "tb" => 1_000_000_000_000,
        other => {
            return Err(format!(
                "unknown size unit '{other}' (use B, KiB, MiB, GiB, or KB, MB, GB)"
            ));
        }
    };
    let bytes = if number.contains('.') {
        let bytes = parse_number(number)? * multiplier as f64;
        if bytes >= u64::MAX as f64 {
            return Err(format!("'{text}' is too large"));
        }
        bytes as u64
    } else {
        number
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(multiplier))
            .ok_or_else(|| format!("'{text}' is not a usable size"))?
    };
    if bytes == 0 {
        return Err("must be greater than zero".into());
    }
    Ok(bytes)
}

/// Like [`parse_size`], for limits held in a `usize`.
///
/// ```
/// assert_eq!(goru_server::units::parse_size_usize("1KiB"), Ok(1024));
/// ```
pub fn parse_size_usize(text: &str) -> Result<usize, String> {
    usize::try_from(parse_size(text)?).map_err(|_| format!("'{text}' is too large"))
}

/// A byte count for people: `256 MiB`, `1.5 KiB`, `100 bytes`.
///
/// ```
/// use goru_server::units::format_size;
///
/// assert_eq!(format_size(256 << 20), "256 MiB");
/// assert_eq!(format_size(1536), "1.5 KiB");
/// ```
pub fn format_size(bytes: u64) -> String {
    const UNITS: [(u64, &str); 4] = [
        (1 << 40, "TiB"),
        (1 << 30, "GiB"),
        (1 << 20, "MiB"),
        (1 << 10, "KiB"),
    ];
    for (size, name) in UNITS {
        if bytes >= size {
            return if bytes.is_multiple_of(size) {
                format!("{} {name}", bytes / size)
            } else {
                format!("{:.1} {name}", bytes as f64 / size as f64)
            };
        }
    }
    if bytes == 1 {
        "1 byte".into()
    } else {
        format!("{bytes} bytes")
    }
}

/// An error's message for people: its `Display`, but a memory cap written
/// as [`format_size`] writes it.
///
/// ```
/// let error = goru::Error::MemoryLimit {
///     limit_bytes: 64 << 20,
///     output: Box::default(),
/// };
/// assert_eq!(goru_server::units::error_message(&error), "memory limit of 64 MiB exceeded");
/// ```
pub fn error_message(error: &goru::Error) -> String {
    match error {
        goru::Error::MemoryLimit { limit_bytes, .. } => {
            format!("memory limit of {} exceeded", format_size(*limit_bytes))
        }
        other => other.to_string(),
    }
}

/// Splits `"64MiB"` into `("64", "MiB")`, ignoring surrounding and inner spaces.
fn split_number(text: &str) -> (&str, &str) {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    (&text[..end], text[end..].trim())
}

fn parse_number(number: &str) -> Result<f64, String> {
    if number.is_empty() {
        return Err("expected a number, e.g. 5s or 64MiB".into());
    }
    number
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite())
        .ok_or_else(|| format!("'{number}' is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration(" 1 h "), Ok(Duration::from_secs(3600)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("-1").is_err());
        assert!(parse_duration("1.2.3").is_err());
        assert!(parse_duration("99999999999999999999h").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("64M"), Ok(64 << 20));
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64m"), Ok(64 << 20));
        assert_eq!(parse_size("64MB"), Ok(64_000_000));
        assert_eq!(parse_size("1.5KiB"), Ok(1536));
        assert_eq!(parse_size("2 GiB"), Ok(2 << 30));
        assert_eq!(parse_size("10b"), Ok(10));
        assert!(parse_size("0").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("-5").is_err());
        assert!(parse_size("99999999999999999999").is_err());
        assert!(parse_size("99999999999T").is_err());
    }

    #[test]
    fn formatting() {
        assert_eq!(format_size(256 << 20), "256 MiB");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(1000), "1000 bytes");
        assert_eq!(format_size(1), "1 byte");
    }
}
