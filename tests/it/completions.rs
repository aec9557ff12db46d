//! Shell completions and the manual page, generated from the clap definitions.

use crate::common;
use common::*;

use std::process::Command;

/// Runs `script` in bash with `$0` the scimitar binary.
fn bash(script: &str) -> std::process::Output {
    Command::new("bash")
        .args(["-c", script, env!("CARGO_BIN_EXE_scimitar")])
        .output()
        .expect("bash runs")
}

#[test]
fn the_bash_completion_script_loads_and_completes_commands_and_options() {
    let out = bash(r#"source <("$0" completions bash) && complete -p scimitar"#);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("-F _scimitar scimitar"), "{t}");
    // The completion function answers as bash would call it on <TAB>.
    let out = bash(
        r#"source <("$0" completions bash)
COMP_WORDS=(scimitar su); COMP_CWORD=1; _scimitar scimitar su scimitar; echo "${COMPREPLY[*]}"
COMP_WORDS=(scimitar run --tar); COMP_CWORD=2; _scimitar scimitar --tar run; echo "${COMPREPLY[*]}""#,
    );
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    let lines: Vec<&str> = t.lines().collect();
    assert_eq!(lines, ["suites", "--target --target-name"], "{t}");
}

#[test]
fn zsh_and_fish_scripts_name_every_command() {
    for shell in ["zsh", "fish"] {
        let out = run(&["completions", shell]);
        assert!(out.status.success(), "{}", text(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        for command in ["run", "entra", "suites", "completions", "man", "serve"] {
            assert!(script.contains(command), "{shell} lacks {command}");
        }
    }
    let out = run(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn the_manual_page_lists_the_commands_and_one_page_per_command_is_written() {
    let out = run(&["man"]);
    assert!(out.status.success(), "{}", text(&out));
    let page = String::from_utf8_lossy(&out.stdout);
    assert!(page.contains(".TH scimitar 1"), "{page}");
    assert!(page.contains(".SH SUBCOMMANDS"), "{page}");
    assert!(page.contains("scimitar\\-run(1)"), "{page}");

    let dir = temp_dir("man-pages");
    let out = run(&["man", "--dir", &dir.display().to_string()]);
    assert!(out.status.success(), "{}", text(&out));
    let run_page = std::fs::read_to_string(dir.join("scimitar-run.1")).unwrap();
    assert!(run_page.contains(".TH scimitar-run 1"), "{run_page}");
    assert!(run_page.contains("\\-\\-target"), "{run_page}");
    assert!(dir.join("scimitar-suites-export.1").is_file());
}
