//! The HTML report for a violation in a public history is self-contained and shows the failure.

mod common;

use zoorepl_jepsen::formats::read_etcd_log;
use zoorepl_jepsen::models::Register;
use zoorepl_jepsen::report::html_report;
use zoorepl_jepsen::{check, pair, CheckOptions, Verdict};

#[test]
fn report_for_etcd_070_shows_the_failing_read_and_is_self_contained() {
    let text = std::fs::read(common::porcupine_dir().join("jepsen/etcd_070.log"))
        .expect("etcd_070 readable");
    let ops = pair(&read_etcd_log(&text[..]).expect("parses")).expect("pairs");
    let result = check(&Register::new(), &ops, &CheckOptions::default()).expect("register ops");
    assert_eq!(result.verdict, Verdict::NotLinearizable);
    let failure = result.failure.as_ref().expect("explained");
    let html = html_report("etcd_070.log", "register", &ops, &result);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("NOT linearizable"));
    assert!(html.contains("<svg"));
    assert!(html.contains(&format!(
        "cannot linearize past event {}",
        failure.prefix_end_event
    )));
    assert!(html.contains(&format!("<b>#{}</b>", failure.failing_op)));
    // Every linearized step is listed with its state.
    for step in &failure.linearization {
        assert!(html.contains(&format!("<td>#{}</td>", step.op)));
    }
    // Nothing is loaded from elsewhere.
    for external in ["<script", "src=", "href=", "@import", "url("] {
        assert!(!html.contains(external), "report references `{external}`");
    }
}

#[test]
fn report_for_a_linearizable_history_draws_every_operation() {
    let text = std::fs::read(common::porcupine_dir().join("jepsen/etcd_002.log"))
        .expect("etcd_002 readable");
    let ops = pair(&read_etcd_log(&text[..]).expect("parses")).expect("pairs");
    let result = check(&Register::new(), &ops, &CheckOptions::default()).expect("register ops");
    let html = html_report("etcd_002.log", "register", &ops, &result);
    assert!(html.contains(">linearizable<"));
    assert_eq!(html.matches("<rect").count(), ops.len());
}
