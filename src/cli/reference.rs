//! The command-line reference of the manual (docs/src/reference/cli.md), rendered from the
//! clap definitions above, so that the page cannot drift from `--help`: tests/it/docs.rs
//! compares the committed page with [`markdown`] and rewrites it when asked to.

use std::fmt::Write;

use clap::{Arg, ArgAction, CommandFactory};

use super::Cli;

/// The whole page: every command, recursively, with its usage and its arguments.
pub fn markdown() -> String {
    let mut root = Cli::command();
    root.build();
    let mut page = String::from(
        "# Command-line reference\n\n\
         <!-- Generated from src/cli.rs by scimitar::cli::reference; do not edit by hand: \
         `SCIMITAR_BLESS=1 cargo test --test it docs::` rewrites it. -->\n\n\
         Every command and option, as `scimitar <COMMAND> --help` prints them. \
         The secrets sent to a target are never options: they come from the environment \
         (`SCIM_TOKEN`, `SCIM_PASSWORD`, `SCIM_CLIENT_SECRET`) or from `--token-file`.\n\n",
    );
    let commands = documented(&root);
    for (path, _) in &commands {
        let _ = writeln!(page, "- [`{path}`](#{})", path.replace(' ', "-"));
    }
    for (path, mut command) in commands {
        section(&mut page, &path, &mut command);
    }
    page
}

/// The command and its subcommands, depth first, each with its full name (`scimitar suites
/// export`); clap's own `help` subcommand is left out, as are hidden commands.
pub fn documented(root: &clap::Command) -> Vec<(String, clap::Command)> {
    let mut out = vec![(root.get_name().to_string(), root.clone())];
    for sub in root.get_subcommands() {
        if sub.is_hide_set() || is_generated_help(root, sub) {
            continue;
        }
        for (path, command) in documented(sub) {
            out.push((format!("{} {path}", root.get_name()), command));
        }
    }
    out
}

/// The `help` subcommand clap adds to a command that has subcommands.
fn is_generated_help(parent: &clap::Command, sub: &clap::Command) -> bool {
    sub.get_name() == "help" && !parent.is_disable_help_subcommand_set()
}

/// The arguments a command documents: not hidden, and not clap's own `--help`/`--version`.
pub fn documented_args(command: &clap::Command) -> impl Iterator<Item = &Arg> {
    command.get_arguments().filter(|a| {
        !a.is_hide_set()
            && !matches!(
                a.get_action(),
                ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong | ArgAction::Version
            )
    })
}

fn section(page: &mut String, path: &str, command: &mut clap::Command) {
    let _ = writeln!(page, "\n## {path}\n");
    if let Some(about) = command.get_long_about().or(command.get_about()) {
        let _ = writeln!(page, "{}\n", prose(&about.to_string()));
    }
    let usage = command.render_usage().to_string();
    let _ = writeln!(page, "```text\n{}\n```", usage.trim_end());
    let subcommands: Vec<_> = command
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && !is_generated_help(command, s))
        .collect();
    if !subcommands.is_empty() {
        page.push_str("\nCommands:\n\n");
        for sub in subcommands {
            let name = format!("{path} {}", sub.get_name());
            let about = sub.get_about().map(|a| prose(&a.to_string()));
            let _ = writeln!(
                page,
                "- [`{name}`](#{}): {}",
                name.replace(' ', "-"),
                about.unwrap_or_default()
            );
        }
    }
    let args: Vec<&Arg> = documented_args(command).collect();
    for (title, positional) in [("Arguments", true), ("Options", false)] {
        let group: Vec<&&Arg> = args
            .iter()
            .filter(|a| a.is_positional() == positional)
            .collect();
        if group.is_empty() {
            continue;
        }
        let _ = writeln!(page, "\n{title}:\n");
        for arg in group {
            argument(page, arg);
        }
    }
}

/// One argument: its spelling, then its help and what clap knows of its values.
fn argument(page: &mut String, arg: &Arg) {
    let values = value_names(arg);
    let spelling = if arg.is_positional() {
        let dashes = if arg.is_last_set() { "-- " } else { "" };
        format!("{dashes}{values}")
    } else {
        let mut names: Vec<String> = Vec::new();
        names.extend(arg.get_short().map(|s| format!("-{s}")));
        names.extend(arg.get_long().map(|l| format!("--{l}")));
        let names = names.join(", ");
        if arg.get_action().takes_values() {
            format!("{names} {values}")
        } else {
            names
        }
    };
    let _ = write!(page, "- `{spelling}`");
    let help = (arg.get_long_help().or(arg.get_help()))
        .map(|h| {
            h.to_string()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    if !help.is_empty() {
        let _ = write!(page, ": {}", prose(&help));
    }
    let mut facts: Vec<String> = Vec::new();
    if arg.is_required_set() {
        facts.push("required".into());
    }
    let takes_values = arg.get_action().takes_values();
    let repeatable = matches!(arg.get_action(), ArgAction::Append) && !arg.is_positional();
    if repeatable && !help.to_lowercase().contains("repeatable") {
        facts.push("repeatable".into());
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| format!("`{}`", v.to_string_lossy()))
        .collect();
    if !defaults.is_empty() && takes_values {
        facts.push(format!("default: {}", defaults.join(", ")));
    }
    let possible: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| format!("`{}`", v.get_name()))
        .collect();
    if !possible.is_empty() && takes_values {
        facts.push(format!("one of {}", possible.join(", ")));
    }
    if let Some(env) = arg.get_env() {
        facts.push(format!("environment: `{}`", env.to_string_lossy()));
    }
    if !facts.is_empty() {
        let _ = write!(page, " ({})", facts.join("; "));
    }
    page.push('\n');
}

/// `<URL>`, or the argument's id in capitals as clap shows it, `...` when it takes several.
fn value_names(arg: &Arg) -> String {
    let names: Vec<String> = match arg.get_value_names() {
        Some(names) => names.iter().map(|n| format!("<{n}>")).collect(),
        None => vec![format!("<{}>", arg.get_id().as_str().to_uppercase())],
    };
    let many = arg.is_positional() && matches!(arg.get_action(), ArgAction::Append);
    format!("{}{}", names.join(" "), if many { "..." } else { "" })
}

/// Help text as Markdown: characters Markdown would read as markup are escaped, except
/// inside the help's own `code` spans.
fn prose(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, part) in text.split('`').enumerate() {
        if i > 0 {
            out.push('`');
        }
        if i % 2 == 1 {
            out.push_str(part);
            continue;
        }
        for c in part.chars() {
            if matches!(c, '\\' | '*' | '_' | '<' | '>' | '[' | ']') {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}
