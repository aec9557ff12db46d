//! Loading suite files, with errors that point at the file, line and column.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde_saphyr::{Location, Spanned};

use super::model::{Assertion, Step, Suite};
use super::template::{BUILTINS, LIMITS, filter_names};
use crate::{builtin, requirements};

/// A suite and the file it came from.
#[derive(Debug)]
pub struct Loaded {
    pub path: PathBuf,
    pub suite: Suite,
}

/// A mistake in a suite file, rendered like a compiler error.
#[derive(Debug)]
pub struct LoadError(pub String);

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LoadError {}

impl LoadError {
    fn at(path: &Path, src: &str, loc: Location, message: &str) -> Self {
        let (line, col) = (loc.line() as usize, loc.column() as usize);
        let text = src.lines().nth(line.saturating_sub(1)).unwrap_or("");
        let gutter = " ".repeat(line.to_string().len());
        LoadError(format!(
            "{}:{line}:{col}: error: {message}\n{gutter} |\n{line} | {text}\n{gutter} | {}^",
            path.display(),
            " ".repeat(col.saturating_sub(1))
        ))
    }

    fn plain(message: String) -> Self {
        LoadError(message)
    }
}

/// Loads every file matching the glob patterns, in path order, and checks what the YAML
/// types cannot: variables captured before use, known schemas and requirement ids, unique
/// names. A pattern matches the built-in suites and the files on disk; a file on disk at the
/// path of a built-in one replaces it (see [`crate::builtin`]). `schemas` names the JSON
/// Schemas the steps may use.
pub fn load(patterns: &[String], schemas: &HashSet<String>) -> Result<Vec<Loaded>, LoadError> {
    let mut paths = Vec::new();
    for pattern in patterns {
        let found = builtin::glob(pattern)
            .map_err(|e| LoadError::plain(format!("error: bad suite pattern `{pattern}`: {e}")))?;
        if found.is_empty() {
            return Err(LoadError::plain(format!(
                "error: no suite file matches `{pattern}`"
            )));
        }
        paths.extend(found);
    }
    paths.sort();
    paths.dedup();
    let mut out: Vec<Loaded> = Vec::with_capacity(paths.len());
    for path in paths {
        let src = builtin::read(&path).map_err(|e| LoadError::plain(format!("error: {e}")))?;
        let suite = parse(&path, &src, schemas)?;
        if let Some(other) = out.iter().find(|l| l.suite.name == suite.name) {
            return Err(LoadError::plain(format!(
                "error: suite name `{}` is used by both {} and {}",
                suite.name,
                other.path.display(),
                path.display()
            )));
        }
        out.push(Loaded { path, suite });
    }
    Ok(out)
}

/// Parses and checks one suite file.
pub fn parse(path: &Path, src: &str, schemas: &HashSet<String>) -> Result<Suite, LoadError> {
    let suite: Suite = serde_saphyr::from_str(src).map_err(|e| match e.location() {
        Some(loc) => {
            // serde-saphyr renders `error: line L column C: message` and a snippet; keep its
            // snippet under a `file:line:col: error: message` head.
            let rendered = e
                .to_string()
                .replace("<input>", &path.display().to_string());
            let mut lines = rendered.lines();
            let first = lines.next().unwrap_or_default();
            let message = first
                .split_once(": ")
                .and_then(|(_, rest)| rest.split_once(": "))
                .map_or(first, |(_, m)| m);
            let snippet: Vec<&str> = lines.collect();
            LoadError(format!(
                "{}:{}:{}: error: {message}\n{}",
                path.display(),
                loc.line(),
                loc.column(),
                snippet.join("\n")
            ))
        }
        None => LoadError::plain(format!("{}: error: {e}", path.display())),
    })?;
    let err = |loc: Location, msg: &str| LoadError::at(path, src, loc, msg);
    let mut case_names = HashSet::new();
    for r in suite
        .requirements
        .iter()
        .chain(suite.cases.iter().flat_map(|c| c.value.requirements.iter()))
    {
        if requirements::find(&r.value).is_none() {
            return Err(err(
                r.referenced,
                &format!(
                    "unknown requirement id `{}` (see fixtures/rfc-requirements.csv)",
                    r.value
                ),
            ));
        }
    }
    for case in &suite.cases {
        let cited: Vec<String> = suite
            .requirements
            .iter()
            .chain(&case.value.requirements)
            .map(|r| r.value.clone())
            .collect();
        if let Some(highest) = requirements::highest(&cited)
            && case.value.level.strictness() > highest.strictness()
        {
            return Err(err(
                case.referenced,
                &format!(
                    "case `{}` is {} but the rows it cites are at most {highest} ({}): a case is never stricter than its rows",
                    case.value.name,
                    case.value.level,
                    cited.join(", ")
                ),
            ));
        }
        if !case_names.insert(case.value.name.as_str()) {
            return Err(err(
                case.referenced,
                &format!("duplicate case name `{}` in this suite", case.value.name),
            ));
        }
        let mut defined: HashSet<String> = BUILTINS
            .iter()
            .chain(&LIMITS)
            .map(|s| s.to_string())
            .collect();
        for step in suite.setup.iter().chain(&case.value.steps) {
            check_step(step, &defined, schemas, &err)?;
            defined.extend(step.value.capture.keys().cloned());
        }
        for step in case.value.teardown.iter().chain(&suite.teardown) {
            check_step(step, &defined, schemas, &err)?;
        }
        // Judged after the case, against the answer of the step that failed: no variables.
        let answers = (case.value.optional.iter().flat_map(|o| &o.unoffered))
            .map(|a| (a.step, &a.answer))
            .chain(case.value.skip_if.iter().map(|s| (s.step, &s.answer)));
        for (step, answer) in answers {
            let steps = case.value.steps.len();
            let why = match answer.variables().first() {
                _ if !(1..=steps).contains(&step) => {
                    format!("the case has no step {step} (its steps are 1 to {steps})")
                }
                Some(name) => format!("answers cannot use variables (`{{{{{name}}}}}`)"),
                None => continue,
            };
            return Err(err(
                case.referenced,
                &format!("`optional`, `skip_if`: {why}"),
            ));
        }
    }
    Ok(suite)
}

fn check_step(
    step: &Spanned<Step>,
    defined: &HashSet<String>,
    schemas: &HashSet<String>,
    err: &impl Fn(Location, &str) -> LoadError,
) -> Result<(), LoadError> {
    let s = &step.value;
    if let Some(name) = &s.snapshot
        && (name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
    {
        return Err(err(
            step.referenced,
            &format!("snapshot `{name}`: a name is letters, digits, `-` and `_`"),
        ));
    }
    if s.request.body.is_some() && s.request.raw_body.is_some() {
        return Err(err(
            step.referenced,
            "a request has either `body` or `raw_body`, not both",
        ));
    }
    for (name, a) in &s.expect.headers {
        if matches!(
            a,
            Assertion::Type(_)
                | Assertion::Length(_)
                | Assertion::AtMost(_)
                | Assertion::Excludes(_)
        ) {
            return Err(err(
                step.referenced,
                &format!(
                    "header `{name}`: `type`, `length`, `at_most` and `excludes` apply to JSON values, not headers"
                ),
            ));
        }
    }
    let used = s.variables();
    if let Some(reference) = used.iter().find(|n| n.contains('|')) {
        return Err(err(
            step.referenced,
            &format!(
                "`{{{{{reference}}}}}` applies an unknown filter (known: {})",
                filter_names().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    if let Some(name) = used.iter().find(|n| !defined.contains(*n)) {
        let mut known: Vec<&String> = defined.iter().collect();
        known.sort();
        let known: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
        return Err(err(
            step.referenced,
            &format!(
                "this step uses `{{{{{name}}}}}`, which no earlier step captures (known here: {})",
                known.join(", ")
            ),
        ));
    }
    for pointer in s.expect.json.keys() {
        if !pointer.is_empty() && !pointer.starts_with('/') {
            return Err(err(
                step.referenced,
                &format!("`{pointer}` is not a JSON pointer: it must start with `/`"),
            ));
        }
    }
    for p in s.capture.values() {
        if !p.value.is_empty() && !p.value.starts_with('/') {
            return Err(err(
                p.referenced,
                &format!(
                    "`{}` is not a JSON pointer: it must start with `/`",
                    p.value
                ),
            ));
        }
    }
    if let Some(schema) = &s.expect.schema
        && !schemas.contains(&schema.value)
    {
        let mut known: Vec<&String> = schemas.iter().collect();
        known.sort();
        let known: Vec<&str> = known.iter().map(|s| s.as_str()).collect();
        return Err(err(
            schema.referenced,
            &format!(
                "unknown schema `{}` (known: {})",
                schema.value,
                known.join(", ")
            ),
        ));
    }
    Ok(())
}
