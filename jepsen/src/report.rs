//! A self-contained HTML page (inline CSS and SVG, no external resources) that shows a
//! check's verdict, the operations per process on a time axis, the part that could be
//! linearized, and where the search fails.

use std::fmt::Write as _;

use crate::checker::{CheckResult, Failure, Stop, Verdict};
use crate::history::{Operation, Outcome};

/// The most operations drawn on the time axis; the rest are left out with a note.
const DRAWN_OPS_MAX: usize = 3000;
const LANE_PX: usize = 24;
const LEFT_PX: usize = 70;
const AXIS_WIDTH_PX: usize = 1200;

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:24px;color:#222}\
h1{font-size:20px}.ok{color:#176b2c}.bad{color:#b3261e}.unknown{color:#8a6d00}\
table{border-collapse:collapse;margin:8px 0 20px}td,th{border:1px solid #ccc;padding:3px 8px;\
text-align:left;font-family:ui-monospace,monospace;font-size:12px}th{background:#f3f3f3}\
.legend span{display:inline-block;padding:2px 8px;margin-right:8px;border-radius:3px}\
svg text{font:11px ui-monospace,monospace}.scroll{overflow-x:auto;border:1px solid #ddd}";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Linearized,
    Failing,
    Involved,
    Later,
    Plain,
}

impl Role {
    const fn colors(self) -> (&'static str, &'static str) {
        match self {
            Self::Linearized => ("#cdebd3", "#2e7d32"),
            Self::Failing => ("#f8c9c4", "#b3261e"),
            Self::Involved => ("#fde3b5", "#c77700"),
            Self::Later => ("#eeeeee", "#aaaaaa"),
            Self::Plain => ("#dde7f5", "#4a6fa5"),
        }
    }
}

/// A short text for an operation taken straight from the history, such as `read -> 1`,
/// `cas [1,3] -> fail` or `write 4 -> ?` (unknown outcome).
pub fn describe(op: &Operation) -> String {
    let key = op.key.as_deref().map_or(String::new(), |k| format!("{k} "));
    let call = if op.args.is_null() {
        op.f.clone()
    } else {
        format!("{} {}", op.f, op.args)
    };
    let result = match &op.outcome {
        Outcome::Ok(v) if v.is_null() || *v == op.args => "ok".to_owned(),
        Outcome::Ok(v) => v.to_string(),
        Outcome::Fail(_) => "fail".to_owned(),
        Outcome::Info => "?".to_owned(),
    };
    format!("{key}{call} -> {result}")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Renders the report for `ops` (the paired history) checked with `model_name`.
pub fn html_report(
    title: &str,
    model_name: &str,
    ops: &[Operation],
    result: &CheckResult,
) -> String {
    let mut html = String::new();
    let (class, verdict) = match result.verdict {
        Verdict::Linearizable => ("ok", "linearizable"),
        Verdict::NotLinearizable => ("bad", "NOT linearizable"),
        Verdict::Unknown if result.stopped == Some(Stop::MemoryLimit) => {
            ("unknown", "unknown (memory limit)")
        }
        Verdict::Unknown => ("unknown", "unknown (timed out)"),
    };
    let _ = write!(
        html,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style>\
         </head><body><h1>{t}: <span class=\"{class}\">{verdict}</span></h1><p>Model <b>{m}</b>, \
         {n} operations, {p} partitions, {c} configurations explored in {e:.1?}.</p>",
        t = escape(title),
        m = escape(model_name),
        n = ops.len(),
        p = result.partitions,
        c = result.configurations,
        e = result.elapsed,
    );
    match &result.failure {
        Some(failure) => failure_sections(&mut html, ops, failure),
        None => {
            let all: Vec<usize> = (0..ops.len()).collect();
            let events = columns(ops, &all);
            html.push_str("<h2>Operations</h2>");
            timeline(
                &mut html,
                ops,
                &all,
                &|_| Role::Plain,
                None,
                View::whole(&events),
            );
        }
    }
    html.push_str("</body></html>\n");
    html
}

fn failure_sections(html: &mut String, ops: &[Operation], failure: &Failure) {
    let failing = &ops[failure.failing_op];
    let _ = write!(
        html,
        "<p>In partition <b>{key}</b>, operation <b>#{i}</b> of process {p}, <code>{d}</code>, cannot \
         take effect before it returned (event {e}), whatever order the operations before it take \
         (each with its recorded result; operations still running may take effect or not). \
         The events of this partition up to event {e} form the smallest prefix that cannot be \
         linearized in this sense; every shorter prefix can be.</p>",
        key = if failure.key.is_empty() { "(the only one)".to_owned() } else { escape(&failure.key) },
        i = failure.failing_op,
        p = failing.process,
        d = escape(&failure.failing_description),
        e = failure.prefix_end_event,
    );
    html.push_str(
        "<p class=\"legend\"><span style=\"background:#cdebd3\">linearized (number = order)</span>\
         <span style=\"background:#f8c9c4\">cannot be linearized</span>\
         <span style=\"background:#fde3b5\">involved: called before the failure, not linearized</span>\
         <span style=\"background:#eeeeee\">after the failure</span> dashed: unknown outcome (info)</p>",
    );
    let mut order = vec![None; ops.len()];
    for (n, step) in failure.linearization.iter().enumerate() {
        order[step.op] = Some(n + 1);
    }
    let involved: Vec<usize> = failure.involved.iter().map(|(i, _)| *i).collect();
    let role = |i: usize| {
        if i == failure.failing_op {
            Role::Failing
        } else if order[i].is_some() {
            Role::Linearized
        } else if involved.contains(&i) {
            Role::Involved
        } else {
            Role::Later
        }
    };
    let marks = Some((failure.prefix_end_event, &order[..]));
    let events = columns(ops, &failure.partition_ops);
    let whole = View::whole(&events);
    let recent = failure
        .linearization
        .iter()
        .rev()
        .take(4)
        .map(|s| ops[s.op].call);
    let from = failure
        .involved
        .iter()
        .map(|(i, _)| ops[*i].call)
        .chain(recent)
        .min()
        .unwrap_or(0);
    let to = whole.column(failure.prefix_end_event) + 8;
    let focus = View {
        from: whole.column(from).saturating_sub(2),
        to: to.min(whole.to),
        px: 40,
        ..whole
    };
    html.push_str("<h2>Around the failure</h2>");
    timeline(html, ops, &failure.partition_ops, &role, marks, focus);
    html.push_str("<h2>All operations of the partition</h2>");
    timeline(html, ops, &failure.partition_ops, &role, marks, whole);
    tables(html, ops, failure);
}

fn tables(html: &mut String, ops: &[Operation], failure: &Failure) {
    html.push_str(
        "<h2>The linearization that got furthest</h2><table><tr><th>#</th><th>op</th>\
                   <th>process</th><th>operation</th><th>state after</th></tr>",
    );
    for (n, step) in failure.linearization.iter().enumerate() {
        let _ = write!(
            html,
            "<tr><td>{}</td><td>#{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            n + 1,
            step.op,
            ops[step.op].process,
            escape(&step.description),
            escape(&step.state_after),
        );
    }
    html.push_str(
        "</table><h2>Operations involved</h2><table><tr><th>op</th><th>process</th>\
                   <th>operation</th><th>called at event</th><th>returned at event</th></tr>",
    );
    for (i, description) in &failure.involved {
        let op = &ops[*i];
        let end = op.end.map_or_else(|| "never".to_owned(), |e| e.to_string());
        let mark = if *i == failure.failing_op {
            " style=\"background:#f8c9c4\""
        } else {
            ""
        };
        let _ = write!(
            html,
            "<tr{mark}><td>#{i}</td><td>{}</td><td>{}</td><td>{}</td><td>{end}</td></tr>",
            op.process,
            escape(description),
            op.call,
        );
    }
    html.push_str("</table>");
}

type Marks<'a> = Option<(usize, &'a [Option<usize>])>;

/// The part of the time axis drawn. The axis has one column per event of the drawn
/// operations (so a partition's operations are not spread out by other partitions' events);
/// columns `from..to` are drawn, `px` pixels each.
#[derive(Clone, Copy)]
struct View<'a> {
    events: &'a [usize],
    from: usize,
    to: usize,
    px: usize,
}

impl<'a> View<'a> {
    /// The whole axis, squeezed towards `AXIS_WIDTH_PX`.
    fn whole(events: &'a [usize]) -> Self {
        let to = events.len() + 2;
        Self {
            events,
            from: 0,
            to,
            px: (AXIS_WIDTH_PX / to).clamp(12, 40),
        }
    }

    /// The column of a history event.
    fn column(self, event: usize) -> usize {
        self.events.partition_point(|&e| e < event)
    }

    fn x(self, event: usize) -> usize {
        self.x_column(self.column(event))
    }

    fn x_column(self, column: usize) -> usize {
        LEFT_PX + (column.clamp(self.from, self.to) - self.from) * self.px
    }

    fn overlaps(self, op: &Operation) -> bool {
        self.column(op.call) < self.to && op.ret.is_none_or(|r| self.column(r) >= self.from)
    }
}

/// The sorted call and end events of `shown`.
fn columns(ops: &[Operation], shown: &[usize]) -> Vec<usize> {
    let mut events: Vec<usize> = shown
        .iter()
        .flat_map(|&i| [Some(ops[i].call), ops[i].end])
        .flatten()
        .collect();
    events.sort_unstable();
    events
}

fn timeline(
    html: &mut String,
    ops: &[Operation],
    shown: &[usize],
    role: &dyn Fn(usize) -> Role,
    marks: Marks<'_>,
    view: View,
) {
    let shown: Vec<usize> = shown
        .iter()
        .copied()
        .filter(|&i| view.overlaps(&ops[i]))
        .take(DRAWN_OPS_MAX)
        .collect();
    if shown.is_empty() {
        html.push_str("<p>No operations.</p>");
        return;
    }
    let mut lanes: Vec<u64> = shown.iter().map(|&i| ops[i].process).collect();
    lanes.sort_unstable();
    lanes.dedup();
    let width = view.x_column(view.to) + 20;
    let height = 34 + lanes.len() * LANE_PX;
    let _ = write!(html, "<div class=\"scroll\"><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\">");
    let step = (60 / view.px).max(1).next_multiple_of(5);
    for column in (view.from.next_multiple_of(step)..view.to.min(view.events.len())).step_by(step) {
        let (x, event) = (view.x_column(column), view.events[column]);
        let _ = write!(
            html,
            "<text x=\"{x}\" y=\"{}\" fill=\"#999\">{event}</text>",
            height - 2
        );
    }
    for (n, process) in lanes.iter().enumerate() {
        let y = 20 + n * LANE_PX;
        let _ = write!(html, "<text x=\"4\" y=\"{}\">p{process}</text><line x1=\"{LEFT_PX}\" x2=\"{width}\" y1=\"{}\" y2=\"{}\" stroke=\"#f0f0f0\"/>", y + 15, y + LANE_PX - 2, y + LANE_PX - 2);
    }
    if let Some((event, _)) = marks.filter(|(e, _)| (view.from..view.to).contains(&view.column(*e)))
    {
        let fx = view.x(event) + view.px / 2;
        let _ = write!(html, "<rect x=\"{fx}\" y=\"14\" width=\"{}\" height=\"{}\" fill=\"#fafafa\"/><line x1=\"{fx}\" x2=\"{fx}\" y1=\"4\" y2=\"{}\" stroke=\"#b3261e\" stroke-width=\"2\"/><text x=\"{}\" y=\"12\" fill=\"#b3261e\">cannot linearize past event {event}</text>", width - fx, height - 30, height - 14, fx + 4);
    }
    for &i in &shown {
        let lane = lanes
            .binary_search(&ops[i].process)
            .expect("every shown process has a lane");
        let order = marks.and_then(|(_, order)| order[i]);
        draw_op(html, ops, i, 22 + lane * LANE_PX, role(i), order, view);
    }
    html.push_str("</svg></div>");
}

fn draw_op(
    html: &mut String,
    ops: &[Operation],
    i: usize,
    y: usize,
    role: Role,
    order: Option<usize>,
    view: View,
) {
    let op = &ops[i];
    let (fill, stroke) = role.colors();
    let x0 = view.x(op.call);
    let x1 = op.ret.map_or(view.x_column(view.to), |r| {
        view.x_column(view.column(r) + 1)
    });
    let dash = if op.ret.is_none() {
        " stroke-dasharray=\"4 3\""
    } else {
        ""
    };
    let label = order.map_or_else(String::new, |n| format!("{n}: "));
    let text = format!("{label}{}", describe(op));
    let room = (x1 - x0).saturating_sub(6) / 7;
    let visible: String = text.chars().take(room).collect();
    let _ = write!(
        html,
        "<g><title>#{i} p{} {}</title><rect x=\"{x0}\" y=\"{y}\" width=\"{}\" height=\"{}\" rx=\"3\" \
         fill=\"{fill}\" stroke=\"{stroke}\"{dash}/><text x=\"{}\" y=\"{}\">{}</text></g>",
        op.process,
        escape(&text),
        x1 - x0,
        LANE_PX - 6,
        x0 + 3,
        y + 13,
        escape(&visible),
    );
}
