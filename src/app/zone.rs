//! The operator's time zone for displaying dates, and the date formats of the browser.

use crate::api::models::ApiDate;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// Where dates are shown. `Local` follows the system's zone rules (daylight saving included) for each
/// date; `Fixed` pins an offset (tests use UTC so snapshots do not depend on the machine).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DisplayZone {
    #[default]
    Local,
    Fixed(UtcOffset),
}

impl DisplayZone {
    pub const UTC: DisplayZone = DisplayZone::Fixed(UtcOffset::UTC);

    /// The offset in force at instant `t`.
    pub fn offset_at(&self, t: OffsetDateTime) -> UtcOffset {
        match self {
            DisplayZone::Fixed(o) => *o,
            DisplayZone::Local => UtcOffset::local_offset_at(t).unwrap_or(UtcOffset::UTC),
        }
    }

    /// `2024-03-01 15:05` in this zone (unparseable values verbatim).
    pub fn short(&self, d: &ApiDate) -> String {
        match d.as_utc() {
            Some(t) => fmt_minutes(t.to_offset(self.offset_at(t))),
            None => d.display_in(UtcOffset::UTC),
        }
    }

    /// `2024-03-01 15:05 (14:05 UTC)`: local time with the UTC value; the UTC date is repeated when
    /// it differs. In UTC itself: `2024-03-01 14:05 UTC`.
    pub fn long(&self, d: &ApiDate) -> String {
        let Some(t) = d.as_utc() else {
            return d.display_in(UtcOffset::UTC);
        };
        let off = self.offset_at(t);
        let local = t.to_offset(off);
        if off == UtcOffset::UTC {
            return format!("{} UTC", fmt_minutes(t));
        }
        let utc = t.to_offset(UtcOffset::UTC);
        if utc.date() == local.date() {
            format!("{} ({:02}:{:02} UTC)", fmt_minutes(local), utc.hour(), utc.minute())
        } else {
            format!("{} ({} UTC)", fmt_minutes(local), fmt_minutes(utc))
        }
    }

    /// `2024-03-01 15:05:42` in this zone: the editable form of a point in time.
    pub fn editable(&self, t: OffsetDateTime) -> String {
        let l = t.to_offset(self.offset_at(t));
        format!("{} {:02}:{:02}:{:02}", fmt_date(l), l.hour(), l.minute(), l.second())
    }

    /// Reads a point in time typed by the operator: ISO 8601 with an offset or `Z` is taken as is; a
    /// date-time without one (`2024-03-01 15:05[:42]`) is read in this zone.
    pub fn parse_input(&self, s: &str) -> Option<OffsetDateTime> {
        match ApiDate::parse(s) {
            ApiDate::Utc(t) => Some(t),
            ApiDate::Civil(p) => Some(self.assume(p)),
            ApiDate::Raw(_) => None,
        }
    }

    /// A wall-clock time in this zone as an instant.
    fn assume(&self, p: PrimitiveDateTime) -> OffsetDateTime {
        // The offset at the wall-clock time read as UTC is right except within hours of a change;
        // one correction step settles it.
        let first = self.offset_at(p.assume_utc());
        let guess = p.assume_offset(first);
        let second = self.offset_at(guess);
        p.assume_offset(second)
    }

    /// A label for the zone: `UTC`, `UTC+01:00`.
    pub fn label_at(&self, t: OffsetDateTime) -> String {
        let o = self.offset_at(t);
        if o == UtcOffset::UTC {
            "UTC".into()
        } else {
            let (h, m, _) = o.as_hms();
            let sign = if o.is_negative() { '-' } else { '+' };
            format!("UTC{sign}{:02}:{:02}", h.unsigned_abs(), m.unsigned_abs())
        }
    }
}

fn fmt_date(t: OffsetDateTime) -> String {
    format!("{:04}-{:02}-{:02}", t.year(), u8::from(t.month()), t.day())
}

fn fmt_minutes(t: OffsetDateTime) -> String {
    format!("{} {:02}:{:02}", fmt_date(t), t.hour(), t.minute())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{datetime, offset};

    #[test]
    fn formats() {
        let d = ApiDate::Utc(datetime!(2024-03-01 14:05:42 UTC));
        assert_eq!(DisplayZone::UTC.short(&d), "2024-03-01 14:05");
        assert_eq!(DisplayZone::UTC.long(&d), "2024-03-01 14:05 UTC");
        let cet = DisplayZone::Fixed(offset!(+1));
        assert_eq!(cet.long(&d), "2024-03-01 15:05 (14:05 UTC)");
        let late = ApiDate::Utc(datetime!(2024-03-01 23:30 UTC));
        assert_eq!(cet.long(&late), "2024-03-02 00:30 (2024-03-01 23:30 UTC)");
        assert_eq!(
            DisplayZone::Fixed(offset!(-5:30)).label_at(datetime!(2024-03-01 0:00 UTC)),
            "UTC-05:30"
        );
        assert_eq!(DisplayZone::UTC.long(&ApiDate::Raw("soon".into())), "soon");
    }

    #[test]
    fn input_round_trip() {
        let cet = DisplayZone::Fixed(offset!(+1));
        let t = datetime!(2024-03-01 14:05:42 UTC);
        let s = cet.editable(t);
        assert_eq!(s, "2024-03-01 15:05:42");
        assert_eq!(cet.parse_input(&s), Some(t));
        assert_eq!(cet.parse_input("2024-03-01T14:05:42Z"), Some(t));
        assert_eq!(cet.parse_input("yesterday"), None);
    }
}
