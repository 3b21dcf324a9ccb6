//! Date forms mail-parser does not read, seen in Received headers and in
//! Microsoft Message Header Analyzer's date tests (../shared/vectors,
//! mha-received-dates.jsonl):
//!
//! - Go's `time.Time.String()` (SendGrid's filters):
//!   `2018-12-10 11:43:59.610180118 +0000 UTC m=+0.123`;
//! - month before day: `Apr 21 2018 03:01:04 +0000`, `Apr 21 2018 3:01:05 +0000`;
//! - numeric US dates: `4/20/2018 23:01:06 -0400 (EDT)`, `4-20-2018 11:01:07 PM`,
//!   and year first: `2018-4-20 11:01:08 PM`;
//! - asctime with a zone: `Wed Aug 21 11:37:32 2002 -0500` (mail-parser reads it as
//!   November 21, 05:00: the day as the month, the hour as the day);
//! - a numeric date with one field above 12 (`20/4/2018` is day first);
//!   `02/10/2002` is either and gives nothing;
//! - a 12-hour clock (`AM`/`PM`), a fraction of a second (dropped: the
//!   timestamp is kept to the second).
//!
//! A date without a zone or without a time of day gives nothing: MHA reads
//! UTC and midnight, but the host's local offset is unknown, and a guess up
//! to 14 hours (or a day) off would feed the hop-order checks.

/// A date in one of the forms above: `None` when the text has none of
/// them (mail-parser's turn), `Some(None)` when it has one but no usable
/// date (no zone, a numeric date that reads both ways, an impossible day),
/// else the seconds since the epoch.
pub(super) fn parse_loose(text: &str) -> Option<Option<i64>> {
    let (year, mon, day, hour, min, sec, zone) = shape(text)?;
    Some(datetime(year, mon, day, hour, min, sec, zone))
}

/// (year, month, day, hour, minute, second, zone word) of a loose form, or
/// `None` when the text is not one. Year 0 with an ambiguous numeric date.
type Shape = (i64, i64, i64, i64, i64, i64, Option<String>);

fn datetime(
    year: i64,
    mon: i64,
    day: i64,
    hour: i64,
    min: i64,
    sec: i64,
    zone: Option<String>,
) -> Option<i64> {
    // No zone: the host's local time, whose offset nobody recorded. MHA
    // reads UTC; a guess up to 14 hours off would feed the hop-order checks.
    let offset = zone.as_deref().and_then(zone_offset)?;
    if year == 0 {
        return None;
    }
    let days = days_from_civil(year, mon, day)?;
    Some(days * 86_400 + hour * 3600 + min * 60 + sec - offset)
}

fn shape(text: &str) -> Option<Shape> {
    let mut words = text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|w| !w.is_empty())
        .peekable();
    // A leading weekday, in any spelling.
    if words.peek().is_some_and(|w| {
        w.len() >= 3 && w.bytes().all(|b| b.is_ascii_alphabetic()) && month(w).is_none()
    }) {
        words.next();
    }
    let first = words.next()?;
    // asctime's year after the time: `Aug 21 11:37:32 2002 -0500`.
    let mut late_year = false;
    let (year, mon, day) = if let Some(m) = month(first) {
        // `Apr 21 2018`
        let day = number(words.next()?, 1, 31)?;
        let next = *words.peek()?;
        if next.contains(':') {
            late_year = true;
            (0, m, day)
        } else {
            words.next();
            (number(next, 1970, 9999)?, m, day)
        }
    } else {
        let parts: Vec<&str> = first.split(['/', '-']).collect();
        let [a, b, c] = parts[..] else { return None };
        if a.len() == 4 {
            (number(a, 1970, 9999)?, number(b, 1, 12)?, number(c, 1, 31)?)
        } else {
            let (a, b) = (number(a, 1, 31)?, number(b, 1, 31)?);
            let year = number(c, 1970, 9999)?;
            // Month first (US) or day first (Europe): only one reading may
            // be possible, or the date is not known.
            match (a <= 12, b <= 12) {
                (true, false) => (year, a, b),
                (false, true) => (year, b, a),
                // Either reading, or none: a numeric date, but no day.
                _ => (0, 1, 1),
            }
        }
    };
    // The time: `H:MM[:SS[.frac]]`.
    let time = words.next()?;
    let mut hms = time.split(':');
    let mut hour = number(hms.next()?, 0, 23)?;
    let min = number(hms.next()?, 0, 59)?;
    let sec = match hms.next() {
        Some(s) => number(s.split('.').next()?, 0, 60)?,
        None => 0,
    };
    if hms.next().is_some() {
        return None;
    }
    let year = if late_year {
        number(words.next()?, 1970, 9999)?
    } else {
        year
    };
    let mut zone_word = None;
    if let Some(w) = words.next() {
        let w = w.to_ascii_uppercase();
        let zone = match w.as_str() {
            "AM" | "PM" => {
                if !(1..=12).contains(&hour) {
                    return None;
                }
                hour = hour % 12 + if w == "PM" { 12 } else { 0 };
                words.next().map(|z| z.to_ascii_uppercase())
            }
            _ => Some(w),
        };
        zone_word = zone;
    }
    Some((year, mon, day, hour, min, sec, zone_word))
}

/// `+hhmm` / `-hhmm` in seconds; `UTC`, `GMT`, `Z` are zero. Anything else
/// (a comment, Go's `m=+…`) is no zone.
fn zone_offset(z: &str) -> Option<i64> {
    if matches!(z, "UTC" | "GMT" | "UT" | "Z") {
        return Some(0);
    }
    let (sign, digits) = match z.as_bytes().first()? {
        b'+' => (1, &z[1..]),
        b'-' => (-1, &z[1..]),
        _ => return None,
    };
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let h: i64 = digits[..2].parse().ok()?;
    let m: i64 = digits[2..].parse().ok()?;
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn number(s: &str, lo: i64, hi: i64) -> Option<i64> {
    if s.is_empty() || s.len() > 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = s.parse().ok()?;
    (lo..=hi).contains(&n).then_some(n)
}

fn month(w: &str) -> Option<i64> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let head = w.get(..3)?;
    MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(head))
        .map(|i| i as i64 + 1)
}

/// Days since 1970-01-01 (Howard Hinnant's civil-from-days algorithm,
/// inverted), or `None` for a day the month does not have.
fn days_from_civil(y: i64, m: i64, d: i64) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let len = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if d > len[(m - 1) as usize] {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// `epoch` as RFC 3339 UTC (`2018-04-21T03:01:04Z`).
pub(super) fn rfc3339(epoch: i64) -> String {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<String> {
        parse_loose(s).flatten().map(rfc3339)
    }

    #[test]
    fn forms() {
        let go = utc("2018-12-10 11:43:59.610180118 +0000 UTC m=+0.123");
        assert_eq!(go.as_deref(), Some("2018-12-10T11:43:59Z"));
        assert_eq!(
            utc("Apr 21 2018 3:01:05 +0000").as_deref(),
            Some("2018-04-21T03:01:05Z")
        );
        assert_eq!(
            utc("4/20/2018 11:01:16 PM -0400 (EDT)").as_deref(),
            Some("2018-04-21T03:01:16Z")
        );
        assert_eq!(
            utc("2018-4-20 11:01:08 PM +0000").as_deref(),
            Some("2018-04-20T23:01:08Z")
        );
        assert_eq!(
            utc("12/31/2016 12:00:00 AM UTC").as_deref(),
            Some("2016-12-31T00:00:00Z")
        );
        // No zone: the local offset is unknown.
        assert_eq!(utc("2018-4-20 11:01:08 PM"), None);
        assert_eq!(utc("22/08/2002 09:59:40"), None);
        // asctime, which mail-parser reads as November 21 05:00.
        assert_eq!(
            utc("Wed Aug 21 11:37:32 2002 -0500").as_deref(),
            Some("2002-08-21T16:37:32Z")
        );
        // Day first, when only that reading is possible; ambiguous: nothing.
        assert_eq!(
            utc("20/4/2018 10:00:00 +0000").as_deref(),
            Some("2018-04-20T10:00:00Z")
        );
        assert_eq!(utc("02/10/2002 08:56:31 +0000"), None);
        // Not a loose form at all: mail-parser's job.
        assert_eq!(parse_loose("1 Mar 2024 12:00:00 +0000"), None);
        assert_eq!(parse_loose("Wed, 9 Oct 2002 12:57:14 -0400"), None);
        // A loose form without a usable date: no timestamp, and no fallback
        // to mail-parser's misreading.
        assert_eq!(parse_loose("Wed Aug 21 11:37:32 2002"), Some(None));
        assert_eq!(parse_loose("02/10/2002 08:56:31"), Some(None));
        assert_eq!(utc("22 Apr 2018"), None);
        assert_eq!(utc("2/30/2018 10:00 +0000"), None);
        assert_eq!(utc("13/13/2018 10:00 +0000"), None);
        assert_eq!(utc("garbage"), None);
        assert_eq!(utc(""), None);
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }
}
