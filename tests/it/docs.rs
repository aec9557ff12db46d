//! The manual: README.md and the mdBook under docs/. Its links resolve, its command-line
//! reference is the one the clap definitions render, and it names every command and option.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

use clap::{ArgAction, CommandFactory};
use regex::Regex;

use crate::common::root;

const CLI_PAGE: &str = "docs/src/reference/cli.md";

/// README.md and every Markdown file under docs/, relative to the repository root.
fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut files = vec![root().join("README.md")];
    walk(&root().join("docs"), &mut files);
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Each line of `text` (numbered from 1) outside fenced code blocks, with its inline code
/// spans removed: what Markdown reads as links and headings.
fn prose_lines(text: &str) -> Vec<(usize, String)> {
    let mut fence: Option<String> = None;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        let marker: String = trimmed
            .chars()
            .take_while(|c| *c == '`' || *c == '~')
            .collect();
        let is_fence = marker.len() >= 3 && !(marker.contains('`') && marker.contains('~'));
        match &fence {
            Some(open) => {
                if is_fence && marker.starts_with(open.as_str()) {
                    fence = None;
                }
            }
            None if is_fence => fence = Some(marker),
            None => out.push((i + 1, without_code_spans(line))),
        }
    }
    out
}

/// `line` without its `code spans` (a run of backticks up to the next run as long).
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(start) = rest.find('`') {
        out.push_str(&rest[..start]);
        let run = rest[start..].chars().take_while(|c| *c == '`').count();
        let after = &rest[start + run..];
        let closing = "`".repeat(run);
        match find_run(after, &closing) {
            Some(end) => rest = &after[end + run..],
            None => {
                out.push_str(&rest[start..start + run]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Where a run of exactly `run` backticks starts in `text`.
fn find_run(text: &str, run: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = text[from..].find(run) {
        let at = from + i;
        let longer_before = at > 0 && text.as_bytes()[at - 1] == b'`';
        let longer_after = text.as_bytes().get(at + run.len()) == Some(&b'`');
        if !longer_before && !longer_after {
            return Some(at);
        }
        from = at + text[at..].chars().take_while(|c| *c == '`').count();
    }
    None
}

/// Every link target of a Markdown file, with its line: inline links and images
/// `[text](target)`, reference definitions `[name]: target` and `<a href="target">`.
fn links(text: &str) -> Vec<(usize, String)> {
    let inline = Regex::new(r#"\]\(\s*<?([^()\s<>]*)>?(?:\s+"[^"]*")?\s*\)"#).unwrap();
    let definition = Regex::new(r"^\s{0,3}\[[^\]]+\]:\s*<?([^\s>]+)>?").unwrap();
    let href = Regex::new(r#"<a\s[^>]*href="([^"]*)""#).unwrap();
    let mut out = Vec::new();
    for (n, line) in prose_lines(text) {
        for re in [&inline, &definition, &href] {
            for c in re.captures_iter(&line) {
                out.push((n, c[1].to_string()));
            }
        }
    }
    out
}

/// A heading's anchor, as GitHub and mdBook make it: lower case, letters, digits, `_` and
/// `-` kept, spaces made `-`, everything else dropped.
fn slug(heading: &str) -> String {
    let link = Regex::new(r"\[([^\]]*)\]\([^)]*\)").unwrap();
    let text = link.replace_all(heading, "$1").replace('`', "");
    text.trim()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '_' || c == '-' => Some(c),
            _ => None,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// The anchors of a Markdown file's headings; a repeated one gets `-1`, `-2`, … as on
/// GitHub and in mdBook.
fn anchors(text: &str) -> Vec<String> {
    let heading = Regex::new(r"^#{1,6}\s+(.*?)\s*#*\s*$").unwrap();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    let mut fence = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            fence = !fence;
            continue;
        }
        if fence {
            continue;
        }
        if let Some(c) = heading.captures(line) {
            let base = slug(&c[1]);
            let n = seen.entry(base.clone()).or_insert(0);
            out.push(if *n == 0 {
                base.clone()
            } else {
                format!("{base}-{n}")
            });
            *n += 1;
        }
    }
    out
}

/// `base` joined with `link`, `.` and `..` resolved without touching the disk.
fn join(base: &Path, link: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for part in base.join(link).components() {
        match part {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// What is wrong with each relative link of `file` (external links are not followed).
fn broken_links(file: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap();
    let scheme = Regex::new(r"^[A-Za-z][A-Za-z0-9+.-]*:").unwrap();
    let book = root().join("docs/src");
    let mut broken = Vec::new();
    for (line, target) in links(&text) {
        if scheme.is_match(&target) {
            continue;
        }
        let (path, anchor) = match target.split_once('#') {
            Some((p, a)) => (p, Some(a)),
            None => (target.as_str(), None),
        };
        let at = format!("{}:{line}: ({target})", relative(file));
        let resolved = if path.is_empty() {
            file.to_path_buf()
        } else {
            join(file.parent().unwrap(), path)
        };
        if !resolved.exists() {
            broken.push(format!("{at}: no such file {}", relative(&resolved)));
            continue;
        }
        if file.starts_with(&book) && !resolved.starts_with(&book) {
            broken.push(format!(
                "{at}: leaves docs/src/, which mdBook does not publish"
            ));
            continue;
        }
        let Some(anchor) = anchor else { continue };
        if resolved.extension().is_none_or(|e| e != "md") {
            broken.push(format!("{at}: an anchor into a file that is not Markdown"));
            continue;
        }
        let headings = anchors(&std::fs::read_to_string(&resolved).unwrap());
        if !headings.iter().any(|h| h == anchor) {
            broken.push(format!(
                "{at}: {} has no heading #{anchor}",
                relative(&resolved)
            ));
        }
    }
    broken
}

#[test]
fn every_relative_link_resolves() {
    let broken: Vec<String> = markdown_files()
        .iter()
        .flat_map(|f| broken_links(f))
        .collect();
    assert!(broken.is_empty(), "broken links:\n{}", broken.join("\n"));
}

#[test]
fn every_page_of_the_book_is_in_the_summary() {
    let book = root().join("docs/src");
    let summary = book.join("SUMMARY.md");
    let listed: Vec<PathBuf> = links(&std::fs::read_to_string(&summary).unwrap())
        .into_iter()
        .map(|(_, target)| join(&book, target.split('#').next().unwrap()))
        .collect();
    let missing: Vec<String> = markdown_files()
        .into_iter()
        .filter(|f| f.starts_with(&book) && *f != summary && !listed.contains(f))
        .map(|f| relative(&f))
        .collect();
    assert!(
        missing.is_empty(),
        "pages docs/src/SUMMARY.md does not list (mdBook would not render them): {missing:?}"
    );
}

#[test]
fn the_cli_reference_is_the_one_clap_renders() {
    let generated = scimitar::cli::reference::markdown();
    let path = root().join(CLI_PAGE);
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    if committed == generated {
        return;
    }
    if std::env::var_os("SCIMITAR_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, &generated).unwrap();
        eprintln!("rewrote {CLI_PAGE}");
        return;
    }
    let diff = similar::TextDiff::from_lines(&committed, &generated);
    panic!(
        "{CLI_PAGE} is not what src/cli.rs renders; rewrite it with \
         `SCIMITAR_BLESS=1 cargo test --test it docs::` and commit it:\n{}",
        diff.unified_diff().header("committed", "generated")
    );
}

/// The table of defect switches in the manual, as the server describes them.
#[test]
fn the_defect_table_is_the_one_the_server_lists() {
    use clap::ValueEnum;
    const PAGE: &str = "docs/src/reference/defects.md";
    const START: &str = "<!-- generated from `Defect::describe` by tests/it/docs.rs; SCIMITAR_BLESS=1 rewrites it -->\n";
    const END: &str = "<!-- end of the generated table -->";
    let mut table = String::from("| switch | breaks | what it does |\n|---|---|---|\n");
    for d in scimitar::server::defect::Defect::value_variants() {
        let (row, what) = d.describe();
        table.push_str(&format!(
            "| `{}` | {row} | {} |\n",
            d.name(),
            what.replace('|', "\\|")
        ));
    }
    let path = root().join(PAGE);
    let page = std::fs::read_to_string(&path).unwrap();
    let (head, rest) = page.split_once(START).expect("the start marker");
    let (committed, tail) = rest.split_once(END).expect("the end marker");
    if committed == table {
        return;
    }
    if std::env::var_os("SCIMITAR_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, format!("{head}{START}{table}{END}{tail}")).unwrap();
        return;
    }
    let diff = similar::TextDiff::from_lines(committed, &table);
    panic!(
        "{PAGE}'s table is not what the switches describe; rewrite it with \
         `SCIMITAR_BLESS=1 cargo test --test it docs::` and commit it:\n{}",
        diff.unified_diff().header("committed", "generated")
    );
}

/// Every command of the clap tree by its full name, with the long names of its options;
/// clap's own `help` command and `--help`/`--version` aside.
fn commands(command: &clap::Command, path: &str, out: &mut Vec<(String, Vec<String>)>) {
    let longs = command
        .get_arguments()
        .filter(|a| {
            !a.is_hide_set()
                && !matches!(
                    a.get_action(),
                    ArgAction::Help
                        | ArgAction::HelpShort
                        | ArgAction::HelpLong
                        | ArgAction::Version
                )
        })
        .filter_map(|a| a.get_long().map(|l| format!("--{l}")))
        .collect();
    out.push((path.to_string(), longs));
    for sub in command.get_subcommands() {
        if sub.get_name() != "help" && !sub.is_hide_set() {
            commands(sub, &format!("{path} {}", sub.get_name()), out);
        }
    }
}

#[test]
fn the_cli_reference_names_every_command_and_option() {
    let page = std::fs::read_to_string(root().join(CLI_PAGE)).unwrap();
    // The page's sections by heading: `## scimitar run` and what follows it.
    let mut sections: HashMap<String, Vec<&str>> = HashMap::new();
    let mut current = None;
    for line in page.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            current = Some(heading.trim().to_string());
        } else if let Some(c) = &current {
            sections.entry(c.clone()).or_default().push(line);
        }
    }
    let mut root_command = scimitar::cli::Cli::command();
    root_command.build();
    let mut all = Vec::new();
    commands(&root_command, "scimitar", &mut all);
    assert!(all.len() > 10, "the command tree: {all:?}");
    let mut missing = Vec::new();
    for (path, longs) in all {
        let Some(lines) = sections.get(&path) else {
            missing.push(format!("the command `{path}` (no `## {path}` section)"));
            continue;
        };
        // Each option is a list item whose first code span spells it: `- `-s, --long <V>``.
        let spelled: Vec<&str> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("- `"))
            .filter_map(|l| l.split('`').next())
            .flat_map(|s| s.split([',', ' ']))
            .collect();
        for long in longs {
            if !spelled.contains(&long.as_str()) {
                missing.push(format!("`{path} {long}`"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "{CLI_PAGE} does not document: {}",
        missing.join(", ")
    );
}

#[test]
fn the_readme_keeps_the_set_up_commands_ci_runs() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let prose: Vec<usize> = prose_lines(&readme).into_iter().map(|(n, _)| n).collect();
    // Commands in the README's code blocks, comments cut.
    let commands: Vec<&str> = readme
        .lines()
        .enumerate()
        .filter(|(i, _)| !prose.contains(&(i + 1)))
        .map(|(_, l)| l.split(" #").next().unwrap().trim())
        .collect();
    for command in ["cargo run --release -- run", "cargo test --locked"] {
        assert!(
            commands.contains(&command),
            "README.md has no code block running `{command}`"
        );
    }
    let ci = std::fs::read_to_string(root().join(".ci/run")).unwrap();
    assert!(
        ci.lines().any(|l| l.trim() == "cargo test --locked"),
        ".ci/run no longer runs the README's `cargo test --locked`"
    );
}
