//! [`Summary`]: one of Java's `AvgMinMaxCounter` / `AvgMinMaxPercentileCounter` metrics
//! (`fsynctime`, `readlatency`, ...), shown by `mntr` as `avg_`, `min_`, `max_`, `cnt_`, `sum_`
//! lines and, with percentiles, `p50_`, `p95_`, `p99_`, `p999_`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::javafmt::java_double;

/// The values recorded since the last reset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Values recorded.
    pub count: u64,
    /// Their sum.
    pub sum: u64,
    /// The smallest (0 when none).
    pub min: u64,
    /// The largest (0 when none).
    pub max: u64,
    /// How often each value was seen, for percentiles (`None`: no percentiles kept). Values
    /// are milliseconds or batch sizes, so few distinct keys.
    pub histogram: Option<BTreeMap<u64, u64>>,
}

impl Summary {
    /// An empty summary that keeps percentiles.
    #[must_use]
    pub fn with_percentiles() -> Self {
        Self {
            histogram: Some(BTreeMap::new()),
            ..Self::default()
        }
    }

    /// Records one value.
    pub fn record(&mut self, v: u64) {
        if self.count == 0 || v < self.min {
            self.min = v;
        }
        self.max = self.max.max(v);
        self.count += 1;
        self.sum = self.sum.saturating_add(v);
        if let Some(h) = &mut self.histogram {
            *h.entry(v).or_default() += 1;
        }
    }

    /// Forgets every value, keeping whether percentiles are kept (`srst`).
    pub fn reset(&mut self) {
        let percentiles = self.histogram.is_some();
        *self = Self::default();
        if percentiles {
            self.histogram = Some(BTreeMap::new());
        }
    }

    /// The average as Java prints it (`sum / count`, 0.0 when empty), rounded half-up to 4
    /// decimals.
    #[must_use]
    pub fn avg(&self) -> f64 {
        super::javafmt::java_average(self.sum, self.count)
    }

    /// The smallest value at or above fraction `q` of the values (0 when empty).
    #[must_use]
    pub fn quantile(&self, q: f64) -> u64 {
        let Some(h) = &self.histogram else { return 0 };
        #[allow(
            clippy::cast_precision_loss,
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss
        )]
        let rank = ((self.count as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (v, n) in h {
            seen += n;
            if seen >= rank {
                return *v;
            }
        }
        0
    }

    /// The `mntr` lines of the summary `name`.
    pub(super) fn mntr_lines(&self, name: &str, out: &mut String) {
        let w = |out: &mut String, stat: &str, v: &dyn std::fmt::Display| {
            writeln!(out, "zk_{stat}_{name}\t{v}").expect("write to String");
        };
        w(out, "avg", &java_double(self.avg()));
        w(out, "min", &self.min);
        w(out, "max", &self.max);
        w(out, "cnt", &self.count);
        w(out, "sum", &self.sum);
        if self.histogram.is_some() {
            for (stat, q) in PERCENTILES {
                w(out, stat, &self.quantile(q));
            }
        }
    }
}

impl From<&Summary> for super::Latency {
    fn from(s: &Summary) -> Self {
        Self {
            min_ms: s.min,
            max_ms: s.max,
            total_ms: s.sum,
            count: s.count,
        }
    }
}

/// The percentiles Java prints, as (`mntr` prefix, fraction).
pub(super) const PERCENTILES: [(&str, f64); 4] =
    [("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_and_reports_like_java() {
        let mut s = Summary::with_percentiles();
        let mut out = String::new();
        s.mntr_lines("readlatency", &mut out);
        assert!(out.starts_with("zk_avg_readlatency\t0.0\nzk_min_readlatency\t0\n"));
        for v in 1..=100 {
            s.record(v);
        }
        assert_eq!((s.min, s.max, s.count, s.sum), (1, 100, 100, 5050));
        assert_eq!(s.avg(), 50.5);
        assert_eq!(s.quantile(0.5), 50);
        assert_eq!(s.quantile(0.99), 99);
        assert_eq!(s.quantile(0.999), 100);
        out.clear();
        s.mntr_lines("readlatency", &mut out);
        assert!(out.contains("zk_p95_readlatency\t95\n"), "{out}");
        s.reset();
        assert_eq!(s, Summary::with_percentiles());
        let mut plain = Summary::default();
        plain.record(3);
        out.clear();
        plain.mntr_lines("fsynctime", &mut out);
        assert_eq!(
            out,
            "zk_avg_fsynctime\t3.0\nzk_min_fsynctime\t3\nzk_max_fsynctime\t3\n\
             zk_cnt_fsynctime\t1\nzk_sum_fsynctime\t3\n"
        );
    }
}
