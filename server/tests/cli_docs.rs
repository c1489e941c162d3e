//! The server README says what the CLI does: every `grantline-server …` command line it shows
//! names a real subcommand, and every `--flag` it mentions is one that command's `--help` lists.

use std::collections::BTreeSet;
use std::process::Command;

fn help(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_grantline-server"))
        .args(args)
        .arg("--help")
        .output()
        .expect("grantline-server runs");
    assert!(
        out.status.success(),
        "`grantline-server {} --help` failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("help is UTF-8")
}

fn flags(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| w.starts_with("--") && w.len() > 2 && !w.ends_with('-'))
        .map(str::to_owned)
        .collect()
}

/// The subcommands a `--help` lists (the indented names under "Commands:").
fn subcommands(help: &str) -> BTreeSet<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect()
}

fn readme() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap()
}

#[test]
fn every_command_line_in_the_readme_is_one_the_cli_accepts() {
    let top = subcommands(&help(&[]));
    let admin = subcommands(&help(&["admin"]));
    assert!(
        top.contains("dev") && admin.contains("create-app"),
        "{top:?} {admin:?}"
    );
    let mut checked = 0;
    for line in readme().lines() {
        let Some(at) = line.find("grantline-server ") else {
            continue;
        };
        let words: Vec<&str> = line[at..].split_whitespace().collect();
        let Some(&sub) = words.get(1) else { continue };
        let command: Vec<&str> = match sub {
            "admin" => {
                let action = words
                    .iter()
                    .skip(2)
                    .find(|w| !w.starts_with('-') && admin.contains(**w));
                match action {
                    Some(a) => vec!["admin", a],
                    None => vec!["admin"],
                }
            }
            s if top.contains(s) => vec![s],
            _ => continue, // prose ("grantline-server is one executable")
        };
        let known = flags(&help(&command));
        let global = flags(&help(&command[..1]));
        for flag in flags(&line[at..]) {
            assert!(
                known.contains(&flag) || global.contains(&flag),
                "README line `{line}`: `grantline-server {}` has no {flag}",
                command.join(" ")
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 15,
        "only {checked} command lines found in the README"
    );
}

#[test]
fn every_admin_subcommand_is_documented() {
    let text = readme();
    for action in subcommands(&help(&["admin"])) {
        assert!(
            text.contains(&format!("grantline-server admin {action}")),
            "server/README.md does not show `grantline-server admin {action}`"
        );
    }
}

#[test]
fn every_flag_the_readme_names_exists() {
    let mut known = BTreeSet::new();
    for command in [vec![], vec!["serve"], vec!["dev"], vec!["admin"]] {
        known.extend(flags(&help(&command)));
    }
    for action in subcommands(&help(&["admin"])) {
        known.extend(flags(&help(&["admin", &action])));
    }
    // Command lines are checked above; here the options prose names in backticks (`--database`).
    let prose: String = readme()
        .lines()
        .filter(|l| !l.contains("grantline-server "))
        .flat_map(|l| l.split('`').skip(1).step_by(2))
        .filter(|span| span.starts_with("--"))
        .collect::<Vec<_>>()
        .join(" ");
    for flag in flags(&prose) {
        assert!(
            known.contains(&flag),
            "server/README.md names {flag}, which no grantline-server command has"
        );
    }
}

#[test]
fn every_flag_has_help_text() {
    let mut commands = vec![vec!["serve".to_owned()], vec!["dev".to_owned()]];
    commands.push(vec!["admin".to_owned()]);
    for action in subcommands(&help(&["admin"])) {
        commands.push(vec!["admin".to_owned(), action]);
    }
    for command in commands {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let text = help(&args);
        let options = text
            .lines()
            .skip_while(|l| !l.starts_with("Options:"))
            .skip(1);
        for line in options {
            let trimmed = line.trim_start();
            if !trimmed.starts_with("--") || trimmed.starts_with("--help") {
                continue;
            }
            // clap puts the help on the same line after two spaces, or on the next lines.
            let same_line = trimmed.split_once("  ").map(|(_, h)| h.trim());
            assert!(
                same_line.is_some_and(|h| !h.is_empty()) || text.contains(&format!("{trimmed}\n ")),
                "`grantline-server {} --help`: {trimmed} has no help text",
                command.join(" ")
            );
        }
    }
}
