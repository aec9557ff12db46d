//! The proof that each testable MUST row can fail: the bundled-server switch that breaks it
//! and the cases that caught it, or why no switch can. The catches are recorded in
//! `fixtures/switch-proof.csv` by the generated test (`tests/it/switches.rs`) from real runs,
//! which also fails when the file says other than the runs showed, so it cannot drift; the
//! reasons are in `fixtures/switch-exceptions.csv`.

use std::fmt::Write;

use serde::Deserialize;

use crate::plan::Planned;
use crate::requirements::{self, Requirement};
use crate::suite::Level;

/// Where the catches are recorded, and where the reasons are.
pub const CATCHES: &str = "fixtures/switch-proof.csv";
pub const EXCEPTIONS: &str = "fixtures/switch-exceptions.csv";

/// One switch and what the run with it on showed of its row.
#[derive(Debug, Deserialize)]
pub struct Catch {
    pub id: String,
    pub switch: String,
    pub verdict: Verdict,
    /// `;`-separated case names (and `fault: …` for a fault reported once for the run).
    pub caught_by: String,
}

/// How a run with a switch on judged its row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    /// A case citing the row failed, or a fault was reported under it: the proof.
    Failed,
    /// A case citing it only warned (it judges what it saw below the row's MUST: an optional
    /// feature offered and broken, an ambiguous reading): no proof of the MUST.
    Warning,
    Missed,
}

/// A testable MUST row no switch can break, and why.
#[derive(Debug, Deserialize)]
pub struct Exception {
    pub id: String,
    pub reason: String,
}

/// What stands behind one row.
enum Standing<'a> {
    Caught(&'a Catch),
    /// Switches exist, but none made a case citing the row fail.
    Unproven(Vec<&'a Catch>),
    Excepted(&'a str),
    Unswitched,
}

/// The rows a server can break at MUST and a request can show: those a switch must prove.
pub fn testable_must() -> impl Iterator<Item = &'static Requirement> {
    requirements::all().iter().filter(|r| {
        r.level == Level::Must && r.testable_over_http == "yes" && r.basis.binds_server()
    })
}

fn read<T: for<'de> Deserialize<'de>>(path: &str) -> Result<Vec<T>, String> {
    csv::Reader::from_reader(crate::builtin::expect(path).as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{path}: {e}"))
}

/// The table: per testable MUST row, the cases citing it, its switch and whether the switch
/// is caught (or the exception's reason); then the figure.
pub fn render(planned: &[Planned]) -> Result<String, String> {
    let catches: Vec<Catch> = read(CATCHES)?;
    let exceptions: Vec<Exception> = read(EXCEPTIONS)?;
    let mut out = format!("{:<16} {:>5}  {:<32} proof\n", "row", "cases", "switch");
    let (mut caught, mut excepted, mut total) = (0, 0, 0);
    for row in testable_must() {
        total += 1;
        let cases = planned
            .iter()
            .filter(|p| p.requirements.contains(&row.id))
            .count();
        let mine: Vec<&Catch> = catches.iter().filter(|c| c.id == row.id).collect();
        let standing = match (
            mine.iter().find(|c| c.verdict == Verdict::Failed),
            exceptions.iter().find(|e| e.id == row.id),
        ) {
            (Some(c), _) => Standing::Caught(c),
            (None, _) if !mine.is_empty() => Standing::Unproven(mine),
            (None, Some(e)) => Standing::Excepted(&e.reason),
            (None, None) => Standing::Unswitched,
        };
        let (switch, proof) = match standing {
            Standing::Caught(c) => {
                caught += 1;
                let by: Vec<&str> = c.caught_by.split(';').collect();
                let more = match by.len() {
                    1 => String::new(),
                    n => format!(" (+{})", n - 1),
                };
                (c.switch.clone(), format!("caught by {}{more}", by[0]))
            }
            Standing::Unproven(mine) => {
                let switches: Vec<&str> = mine.iter().map(|c| c.switch.as_str()).collect();
                let warned = mine.iter().any(|c| c.verdict == Verdict::Warning);
                let why = if warned {
                    "only warned: the cases citing it judge it below MUST"
                } else {
                    "MISSED: no case citing it failed"
                };
                (switches.join(", "), why.into())
            }
            Standing::Excepted(reason) => {
                excepted += 1;
                ("-".into(), format!("no switch: {reason}"))
            }
            Standing::Unswitched => ("-".into(), "no switch yet".into()),
        };
        let _ = writeln!(out, "{:<16} {cases:>5}  {switch:<32} {proof}", row.id);
    }
    let _ = writeln!(
        out,
        "\ntestable MUST rows with a caught switch: {caught}/{total} ({:.1}%); {excepted} without one for the reason given; {} with neither",
        super::percent(caught, total),
        total - caught - excepted
    );
    Ok(out)
}
