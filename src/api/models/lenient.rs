//! Lenient deserialisation helpers: the real server (and its documentation examples) quote numbers and
//! booleans as strings, omit optional fields and send `null` anywhere. We accept all of that on input and
//! always emit real JSON types on output.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use std::fmt;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

struct NumVisitor;

impl<'de> Visitor<'de> for NumVisitor {
    type Value = Option<f64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, a numeric string or null")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(v.is_finite().then_some(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        // "NaN", "inf" and out-of-range values parse, but are no number anyone can use: absent.
        t.parse::<f64>()
            .map(|f| f.is_finite().then_some(f))
            .map_err(|_| E::custom(format!("expected a number, found the string {:?}", truncate(t))))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(if v { 1.0 } else { 0.0 }))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(NumVisitor)
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Integers stay exact (an `f64` holds only 53 bits): whole numbers are read as `i64`, fractions are
/// truncated, values beyond `i64` saturate, non-finite ones are absent.
struct IntVisitor;

impl<'de> Visitor<'de> for IntVisitor {
    type Value = Option<i64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer, a numeric string or null")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(i64::try_from(v).unwrap_or(i64::MAX)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // `as` truncates toward zero and saturates.
        Ok(v.is_finite().then_some(v as i64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        if let Ok(n) = t.parse::<i64>() {
            return Ok(Some(n));
        }
        NumVisitor.visit_str(t).map(|f| f.map(|f| f as i64))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(i64::from(v)))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(IntVisitor)
    }
}

/// `Option<i64>` from a number, a numeric string, or null (exact for every `i64`).
pub fn opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(IntVisitor)
}

/// `i64` (0 when absent or null) from a number or numeric string.
pub fn i64_or_zero<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(opt_i64(d)?.unwrap_or(0))
}

/// `Option<f64>` from a number, a numeric string, or null.
pub fn opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_any(NumVisitor)
}

struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Option<bool>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean, \"true\"/\"false\" or null")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v != 0))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        match v.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => Ok(Some(true)),
            "false" | "0" | "no" => Ok(Some(false)),
            "" => Ok(None),
            _ => Err(E::custom(format!("expected a boolean, found {:?}", truncate(v)))),
        }
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
}

/// `Option<bool>` from a boolean, a "true"/"false" string, or null.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    d.deserialize_any(BoolVisitor)
}

/// `bool` (false when absent or null).
pub fn bool_or_false<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Ok(opt_bool(d)?.unwrap_or(false))
}

/// A string that may be null (null becomes `None`); numbers and booleans are turned into their text.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::Bool(b)) => Some(b.to_string()),
        Some(other) => Some(other.to_string()),
    })
}

/// A list that may be null or absent (both become empty).
pub fn vec_or_empty<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

/// A date-time as the VB365 API sends it.
///
/// The server emits 7 fractional digits (`2017-05-25T08:39:16.8235249Z`); some fields carry no offset
/// (`2017-05-04 18:00:00`, `2017.05.04 18:00:00`), and documentation examples show US-style
/// `6/5/2017 1:12 PM`. Offset-less values are kept as a civil date-time (their zone is unknown);
/// anything unparseable is kept verbatim so no information is lost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ApiDate {
    /// A point in time (normalised to UTC).
    Utc(OffsetDateTime),
    /// A wall-clock date-time without an offset.
    Civil(PrimitiveDateTime),
    /// A value that is not a recognised date.
    Raw(String),
}

impl ApiDate {
    pub fn parse(s: &str) -> ApiDate {
        parse_date(s).unwrap_or_else(|| ApiDate::Raw(s.to_string()))
    }

    /// The instant, when the value carries one (civil values are read as UTC, as the server means them).
    pub fn as_utc(&self) -> Option<OffsetDateTime> {
        match self {
            ApiDate::Utc(t) => Some(*t),
            ApiDate::Civil(p) => Some(p.assume_utc()),
            ApiDate::Raw(_) => None,
        }
    }

    pub fn from_unix(secs: i64) -> ApiDate {
        OffsetDateTime::from_unix_timestamp(secs)
            .map(ApiDate::Utc)
            .unwrap_or_else(|_| ApiDate::Raw(secs.to_string()))
    }

    /// The wire form: `YYYY-MM-DDTHH:MM:SS.fffffffZ` for instants; civil values without the `Z`, and
    /// without a fraction when they have none.
    pub fn to_wire(&self) -> String {
        match self {
            ApiDate::Utc(t) => format_utc7(*t),
            ApiDate::Civil(p) => {
                let frac = if p.nanosecond() == 0 {
                    String::new()
                } else {
                    format!(".{:07}", p.nanosecond() / 100)
                };
                format!(
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{frac}",
                    p.year(),
                    u8::from(p.month()),
                    p.day(),
                    p.hour(),
                    p.minute(),
                    p.second()
                )
            }
            ApiDate::Raw(s) => s.clone(),
        }
    }

    /// Human form in the given offset (the operator's local zone): `2024-03-01 14:05`.
    /// An instant whose local time falls outside the years the `time` crate supports (a year-9999 date
    /// east of UTC) is shown in UTC, marked as such.
    pub fn display_in(&self, offset: UtcOffset) -> String {
        match self {
            ApiDate::Utc(t) => {
                let (l, mark) = match t.checked_to_offset(offset) {
                    Some(l) => (l, ""),
                    None => (*t, " UTC"),
                };
                format!(
                    "{:04}-{:02}-{:02} {:02}:{:02}{mark}",
                    l.year(),
                    u8::from(l.month()),
                    l.day(),
                    l.hour(),
                    l.minute()
                )
            }
            ApiDate::Civil(p) => format!(
                "{:04}-{:02}-{:02} {:02}:{:02}",
                p.year(),
                u8::from(p.month()),
                p.day(),
                p.hour(),
                p.minute()
            ),
            ApiDate::Raw(s) => s.clone(),
        }
    }
}

/// Formats an instant as the server does: UTC, 7 fractional digits, `Z`. (An instant whose UTC time
/// would fall outside the supported years keeps its own offset.)
pub fn format_utc7(t: OffsetDateTime) -> String {
    let Some(u) = t.checked_to_offset(UtcOffset::UTC) else {
        let o = t.offset();
        let (h, m, _) = o.as_hms();
        let sign = if o.is_negative() { '-' } else { '+' };
        return format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}{sign}{:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.nanosecond() / 100,
            h.unsigned_abs(),
            m.unsigned_abs()
        );
    };
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:07}Z",
        u.year(),
        u8::from(u.month()),
        u.day(),
        u.hour(),
        u.minute(),
        u.second(),
        u.nanosecond() / 100
    )
}

fn parse_date(s: &str) -> Option<ApiDate> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        // Out of range once in UTC (year 9999 at a negative offset): not a date we can hold.
        return Some(ApiDate::Utc(tick(t.checked_to_offset(UtcOffset::UTC)?)));
    }
    parse_iso_like(s).or_else(|| parse_us(s))
}

/// The server's precision: 100 ns (7 fractional digits). Finer digits are dropped on input, so what is
/// read is exactly what [`ApiDate::to_wire`] writes back.
fn tick(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 100 * 100).unwrap_or(t)
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.f+]][Z|±HH:MM]` and the same with `.` or `/` between date parts.
fn parse_iso_like(s: &str) -> Option<ApiDate> {
    let b = s.as_bytes();
    if b.len() < 10 {
        return None;
    }
    let year: i32 = digits(s.get(0..4)?)?;
    let sep = b[4];
    if !matches!(sep, b'-' | b'.' | b'/') || b[7] != sep {
        return None;
    }
    let month: u8 = digits(s.get(5..7)?)?;
    let day: u8 = digits(s.get(8..10)?)?;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let rest = &s[10..];
    if rest.is_empty() {
        return Some(ApiDate::Civil(PrimitiveDateTime::new(date, Time::MIDNIGHT)));
    }
    let rest = rest.strip_prefix(['T', ' '])?;
    let (time_part, zone) = split_zone(rest);
    let mut parts = time_part.splitn(3, ':');
    let hour: u8 = parts.next()?.parse().ok()?;
    let minute: u8 = parts.next()?.parse().ok()?;
    let (second, nanos) = match parts.next() {
        None => (0u8, 0u32),
        Some(sec) => {
            let (whole, frac) = match sec.split_once(['.', ',']) {
                Some((w, f)) => (w, f),
                None => (sec, ""),
            };
            let second: u8 = whole.parse().ok()?;
            let mut nanos = 0u32;
            if !frac.is_empty() {
                if !frac.bytes().all(|c| c.is_ascii_digit()) {
                    return None;
                }
                let digits: String = frac.chars().chain(std::iter::repeat('0')).take(9).collect();
                nanos = digits.parse().ok()?;
            }
            (second, nanos)
        }
    };
    let time = Time::from_hms_nano(hour, minute, second, nanos / 100 * 100).ok()?;
    let pdt = PrimitiveDateTime::new(date, time);
    match zone {
        None => Some(ApiDate::Civil(pdt)),
        Some(off) => Some(ApiDate::Utc(pdt.assume_offset(off).checked_to_offset(UtcOffset::UTC)?)),
    }
}

fn split_zone(s: &str) -> (&str, Option<UtcOffset>) {
    if let Some(t) = s.strip_suffix(['Z', 'z']) {
        return (t, Some(UtcOffset::UTC));
    }
    // `±HH:MM` is 6 ASCII bytes: anything else there (a multi-byte character) is no zone.
    if s.len() > 6 && s.is_char_boundary(s.len() - 6) {
        let (t, z) = s.split_at(s.len() - 6);
        let zb = z.as_bytes();
        if (zb[0] == b'+' || zb[0] == b'-')
            && zb[3] == b':'
            && let (Some(Ok(h)), Some(Ok(m))) = (z.get(1..3).map(str::parse::<i8>), z.get(4..6).map(str::parse::<i8>))
        {
            let sign = if zb[0] == b'-' { -1 } else { 1 };
            if let Ok(off) = UtcOffset::from_hms(sign * h, sign * m, 0) {
                return (t, Some(off));
            }
        }
    }
    (s, None)
}

/// A number written with ASCII digits only (no sign, no spaces): the parts of a date.
fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `M/D/YYYY h:mm[:ss] AM|PM` (documentation examples).
fn parse_us(s: &str) -> Option<ApiDate> {
    let mut it = s.split_whitespace();
    let date = it.next()?;
    let mut dp = date.split('/');
    let month: u8 = digits(dp.next()?)?;
    let day: u8 = digits(dp.next()?)?;
    let year: i32 = digits(dp.next()?).filter(|y| (0..=9999).contains(y))?;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let Some(time) = it.next() else {
        return Some(ApiDate::Civil(PrimitiveDateTime::new(date, Time::MIDNIGHT)));
    };
    let mut tp = time.split(':');
    let mut hour: u8 = tp.next()?.parse().ok()?;
    let minute: u8 = tp.next()?.parse().ok()?;
    let second: u8 = match tp.next() {
        Some(x) => x.parse().ok()?,
        None => 0,
    };
    match it.next().map(|x| x.to_ascii_uppercase()) {
        Some(ref x) if x == "PM" && hour < 12 => hour += 12,
        Some(ref x) if x == "AM" && hour == 12 => hour = 0,
        Some(ref x) if x != "AM" && x != "PM" => return None,
        _ => {}
    }
    let t = Time::from_hms(hour, minute, second).ok()?;
    Some(ApiDate::Civil(PrimitiveDateTime::new(date, t)))
}

impl Serialize for ApiDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_wire())
    }
}

impl<'de> Deserialize<'de> for ApiDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(ApiDate::parse(&s))
    }
}

/// `Option<ApiDate>` where null and "" are `None`.
pub fn opt_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<ApiDate>, D::Error> {
    let v = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match v {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) if s.trim().is_empty() => None,
        Some(serde_json::Value::String(s)) => Some(ApiDate::parse(&s)),
        Some(other) => Some(ApiDate::Raw(other.to_string())),
    })
}

/// Defines a string enum that keeps unknown values instead of failing.
#[macro_export]
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)+
            /// A value this version of vex does not know; kept verbatim.
            Other(String),
        }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $text,)+
                    $name::Other(s) => s.as_str(),
                }
            }
            pub fn parse(s: &str) -> Self {
                $(if s.eq_ignore_ascii_case($text) { return $name::$variant; })+
                $name::Other(s.to_string())
            }
        }
        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let v = ::serde_json::Value::deserialize(d)?;
                Ok(match v {
                    ::serde_json::Value::String(s) => $name::parse(&s),
                    other => $name::Other(other.to_string()),
                })
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seven_digit_fraction_round_trips() {
        let d = ApiDate::parse("2017-05-25T08:39:16.8235249Z");
        assert!(matches!(d, ApiDate::Utc(_)));
        assert_eq!(d.to_wire(), "2017-05-25T08:39:16.8235249Z");
    }

    #[test]
    fn offsetless_forms_are_civil() {
        for s in ["2017-05-04 18:00:00", "2017.05.04 18:00:00", "2017-05-04T18:00:00"] {
            let d = ApiDate::parse(s);
            assert!(matches!(d, ApiDate::Civil(_)), "{s}");
            assert_eq!(d.display_in(UtcOffset::UTC), "2017-05-04 18:00", "{s}");
        }
    }

    #[test]
    fn us_form_and_offsets() {
        assert_eq!(
            ApiDate::parse("6/5/2017 1:12 PM").display_in(UtcOffset::UTC),
            "2017-06-05 13:12"
        );
        let d = ApiDate::parse("2022-10-09T21:00:00+02:00");
        assert_eq!(d.to_wire(), "2022-10-09T19:00:00.0000000Z");
        assert!(matches!(ApiDate::parse("not a date"), ApiDate::Raw(_)));
        assert!(matches!(ApiDate::parse("2022-13-40T99:00:00Z"), ApiDate::Raw(_)));
    }

    #[derive(Deserialize)]
    struct L {
        #[serde(default, deserialize_with = "opt_i64")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
        #[serde(default, deserialize_with = "opt_f64")]
        f: Option<f64>,
    }

    #[test]
    fn numbers_and_bools_as_strings() {
        let l: L = serde_json::from_str(r#"{"n":"42","b":"false","f":"99.5"}"#).unwrap();
        assert_eq!((l.n, l.b, l.f), (Some(42), Some(false), Some(99.5)));
        let l: L = serde_json::from_str(r#"{"n":null,"b":null}"#).unwrap();
        assert_eq!((l.n, l.b, l.f), (None, None, None));
        assert!(serde_json::from_str::<L>(r#"{"n":"x"}"#).is_err());
    }
}
