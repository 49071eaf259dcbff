//! Java's text forms of doubles, dates and socket addresses, as the four-letter words print them.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

/// `Double.toString`: plain decimal with at least one fraction digit in [1e-3, 1e7), otherwise
/// `d.dddE±n`; the shortest digits that read back to the same double. Checked against OpenJDK 17
/// on 800,200 average latencies (`tests/fourlw_java_double.rs`); JDK 17's older algorithm can
/// print a longer form for some doubles, but none with 4 decimals showed up.
#[must_use]
pub fn java_double(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let magnitude = v.abs();
    if v == 0.0 || (1e-3..1e7).contains(&magnitude) {
        // Rust's `Debug` prints the shortest round-trip digits and keeps a `.0`, and stays in
        // plain notation over this whole range.
        return format!("{v:?}");
    }
    let sci = format!("{v:e}");
    let (mantissa, exponent) = sci.split_once('e').expect("`{:e}` always has an exponent");
    if mantissa.contains('.') {
        format!("{mantissa}E{exponent}")
    } else {
        format!("{mantissa}.0E{exponent}")
    }
}

/// `sum / count` as Java's `AvgMinMaxCounter.getAvg` reports it ([`round_half_up_4`]); 0.0
/// when nothing was counted.
#[must_use]
pub(super) fn java_average(sum: u64, count: u64) -> f64 {
    if count == 0 {
        return 0.0;
    }
    #[allow(clippy::cast_precision_loss)]
    let avg = sum as f64 / count as f64;
    round_half_up_4(avg)
}

/// Rounds half-up to 4 decimals, as Java's `AvgMinMaxCounter.getAvg` does with
/// `BigDecimal(double).setScale(4, HALF_UP)` (the exact binary value decides, not the printed one).
#[must_use]
pub(super) fn round_half_up_4(v: f64) -> f64 {
    if !v.is_finite() || v < 0.0 {
        return v;
    }
    let exact = format!("{v:.60}");
    let (int_part, frac) = exact.split_once('.').expect("fixed precision has a point");
    let keep = &frac[..4];
    let round_up = frac.as_bytes()[4] >= b'5';
    let mut units: u128 = format!("{int_part}{keep}").parse().expect("digits only");
    if round_up {
        units += 1;
    }
    #[allow(clippy::cast_precision_loss)]
    let rounded = units as f64 / 10_000.0;
    rounded
}

/// `java.util.Date.toString()` in UTC: `Sun Nov 22 05:51:25 UTC 2026`.
#[must_use]
pub fn java_date_utc(epoch_ms: i64) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = epoch_ms.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let in_day = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let weekday = DAYS[usize::try_from(days.rem_euclid(7)).expect("0..7")];
    format!(
        "{weekday} {} {day:02} {:02}:{:02}:{:02} UTC {year}",
        MONTHS[usize::try_from(month - 1).expect("1..=12")],
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

/// Days since 1970-01-01 to (year, month 1..=12, day 1..=31), proleptic Gregorian
/// (Howard Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `InetSocketAddress.toString()` of an accepted socket (no host name): `/127.0.0.1:37362`,
/// IPv6 in full form in brackets (`/[0:0:0:0:0:0:0:1]:2181`, JDK 14+).
#[must_use]
pub fn java_socket_addr(addr: &SocketAddr) -> String {
    match addr.ip() {
        IpAddr::V4(ip) => format!("/{ip}:{}", addr.port()),
        IpAddr::V6(ip) => {
            let mut out = String::from("/[");
            for (i, seg) in ip.segments().iter().enumerate() {
                if i > 0 {
                    out.push(':');
                }
                write!(out, "{seg:x}").expect("write to String");
            }
            write!(out, "]:{}", addr.port()).expect("write to String");
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trips_every_day_of_a_leap_cycle() {
        let mut expected = (1999_i64, 12_i64, 31_i64);
        for days in 10_957..10_957 + 366 * 4 + 2 {
            let got = civil_from_days(days);
            let (y, m, d) = expected;
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let month_len = [
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
            let next = if d < month_len[(m - 1) as usize] {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
            assert_eq!(got, next, "days {days}");
            expected = got;
        }
    }

    #[test]
    fn doubles_print_as_java_prints_them() {
        let cases = [
            (0.0, "0.0"),
            (1.0, "1.0"),
            (17.2, "17.2"),
            (0.1667, "0.1667"),
            (8.6667, "8.6667"),
            (74.5, "74.5"),
            (0.0001, "1.0E-4"),
            (0.00012, "1.2E-4"),
            (12_345_678.0, "1.2345678E7"),
            (1_000_000.5, "1000000.5"),
        ];
        for (v, want) in cases {
            assert_eq!(java_double(v), want, "{v}");
        }
    }

    #[test]
    fn averages_round_half_up_on_the_exact_binary_value() {
        assert!((round_half_up_4(1.0 / 6.0) - 0.1667).abs() < 1e-12);
        assert!((round_half_up_4(26.0 / 3.0) - 8.6667).abs() < 1e-12);
        // 3/20000 is stored just below 0.00015, so Java rounds it down.
        assert!((round_half_up_4(3.0 / 20_000.0) - 0.0001).abs() < 1e-12);
        assert!((round_half_up_4(86.0 / 5.0) - 17.2).abs() < 1e-12);
    }

    #[test]
    fn dates_match_java_date_to_string_in_utc() {
        // From the golden `dump` capture: 1795326654281 is the `est` of the same session.
        assert_eq!(java_date_utc(0), "Thu Jan 01 00:00:00 UTC 1970");
        assert_eq!(
            java_date_utc(1_795_326_685_000),
            "Sun Nov 22 05:51:25 UTC 2026"
        );
        assert_eq!(
            java_date_utc(951_782_400_000),
            "Tue Feb 29 00:00:00 UTC 2000"
        );
    }

    #[test]
    fn socket_addresses_match_java() {
        let v4: SocketAddr = "127.0.0.1:37362".parse().expect("addr");
        assert_eq!(java_socket_addr(&v4), "/127.0.0.1:37362");
        let v6: SocketAddr = "[::1]:2181".parse().expect("addr");
        assert_eq!(java_socket_addr(&v6), "/[0:0:0:0:0:0:0:1]:2181");
    }
}
