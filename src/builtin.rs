//! The files compiled into the binary: the suites (`suites/`) and the fixtures (`fixtures/`:
//! the JSON Schemas, the core SCIM schemas, the vendor profiles, the identity providers, the
//! Entra and Okta mappings and the requirement catalogue), each under the path it has in the repository, so that scimitar
//! runs from any directory.
//!
//! Wherever scimitar reads a file by path or glob (`--suite`, `--mapping`, `--profile FILE`,
//! `--emulate FILE`, a profile's `suites`), the path is looked up both in the binary and on
//! disk (relative to the working directory):
//!
//! - a glob matches the built-in files it names and the files on disk it names, together;
//! - a file on disk at the same path as a built-in one takes its place (an edited copy from
//!   `scimitar suites export` is what runs), and a built-in file is used where the disk has
//!   none at its path.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

use include_dir::{Dir, DirEntry, include_dir};

static SUITES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/suites");
static FIXTURES: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fixtures");

/// The embedded folders, by the name of the folder they are in the repository.
const ROOTS: [(&str, &Dir<'static>); 2] = [("suites", &SUITES), ("fixtures", &FIXTURES)];

/// Every built-in file: its repository path and its text, in path order.
pub fn files() -> Vec<(PathBuf, &'static str)> {
    fn walk(prefix: &Path, dir: &'static Dir<'static>, out: &mut Vec<(PathBuf, &'static str)>) {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(d) => walk(prefix, d, out),
                DirEntry::File(f) => {
                    if let Some(text) = f.contents_utf8() {
                        out.push((prefix.join(f.path()), text));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (name, dir) in ROOTS {
        walk(Path::new(name), dir, &mut out);
    }
    out.sort();
    out
}

/// The built-in files directly in `folder` (`fixtures/schemas`) whose names end in
/// `.extension`, in path order.
pub fn folder(folder: &str, extension: &str) -> Vec<(PathBuf, &'static str)> {
    files()
        .into_iter()
        .filter(|(path, _)| {
            path.parent() == Some(Path::new(folder))
                && path.extension().is_some_and(|e| e == extension)
        })
        .collect()
}

/// `path` without `.` components, as built-in paths are spelled.
fn normalise(path: &Path) -> PathBuf {
    path.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// The built-in file at a repository path (`fixtures/profiles/rfc.yaml`).
pub fn get(path: impl AsRef<Path>) -> Option<&'static str> {
    let path = normalise(path.as_ref());
    let mut parts = path.components();
    let Some(Component::Normal(first)) = parts.next() else {
        return None;
    };
    let (_, dir) = ROOTS.iter().find(|(name, _)| first == *name)?;
    dir.get_file(parts.as_path())?.contents_utf8()
}

/// The built-in file at `path`, which the caller knows is there.
pub fn expect(path: &str) -> &'static str {
    get(path).unwrap_or_else(|| panic!("{path} is built into the binary"))
}

/// The text at `path`: the file on disk if there is one, else the built-in file there.
pub fn read(path: &Path) -> Result<Cow<'static, str>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Cow::Owned(text)),
        Err(e) => match get(path) {
            Some(text) if e.kind() == std::io::ErrorKind::NotFound => Ok(Cow::Borrowed(text)),
            _ => Err(format!("{}: {e}", path.display())),
        },
    }
}

/// Whether `path` names a file on disk or a built-in one.
pub fn exists(path: &Path) -> bool {
    path.is_file() || get(path).is_some()
}

/// The paths a glob names: the built-in files it matches and the files on disk it matches,
/// each once (`./` dropped), in path order.
pub fn glob(pattern: &str) -> Result<Vec<PathBuf>, String> {
    let compiled = glob::Pattern::new(pattern).map_err(|e| e.to_string())?;
    // Built-in paths are relative: strip a leading `./` from the pattern too.
    let relative = normalise(Path::new(pattern));
    let relative = glob::Pattern::new(&relative.to_string_lossy()).unwrap_or(compiled);
    let options = glob::MatchOptions {
        require_literal_separator: true,
        ..glob::MatchOptions::default()
    };
    let mut out: Vec<PathBuf> = files()
        .into_iter()
        .map(|(path, _)| path)
        .filter(|path| relative.matches_path_with(path, options))
        .collect();
    for entry in glob::glob(pattern).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?;
        if path.is_file() {
            out.push(normalise(&path));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Writes every built-in file under `dir` at its repository path (`dir/suites/…`,
/// `dir/fixtures/…`), the starting point of a user's own suites. Refuses to overwrite a file
/// unless `force`; returns how many files it wrote.
pub fn export(dir: &Path, force: bool) -> Result<usize, String> {
    if !force {
        let existing: Vec<String> = files()
            .iter()
            .map(|(path, _)| dir.join(path))
            .filter(|path| path.exists())
            .map(|path| path.display().to_string())
            .collect();
        if !existing.is_empty() {
            return Err(format!(
                "{} files exist already (--force overwrites them): {}",
                existing.len(),
                existing.join(", ")
            ));
        }
    }
    for (name, embedded) in ROOTS {
        let to = dir.join(name);
        embedded
            .extract(&to)
            .map_err(|e| format!("cannot write under {}: {e}", to.display()))?;
    }
    Ok(files().len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_repository_folders_is_built_in() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk = Vec::new();
        for pattern in ["suites/**/*", "fixtures/**/*"] {
            for p in glob::glob(&root.join(pattern).to_string_lossy()).unwrap() {
                let p = p.unwrap();
                if p.is_file() {
                    on_disk.push(p.strip_prefix(root).unwrap().to_path_buf());
                }
            }
        }
        on_disk.sort();
        let built_in: Vec<PathBuf> = files().into_iter().map(|(p, _)| p).collect();
        assert_eq!(built_in, on_disk);
        for (path, text) in files() {
            assert_eq!(
                text,
                std::fs::read_to_string(root.join(&path)).unwrap(),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn get_takes_repository_paths() {
        assert!(
            get("suites/rfc7644/users.yaml")
                .unwrap()
                .contains("name: users")
        );
        assert_eq!(
            get("./suites/rfc7644/users.yaml"),
            get("suites/rfc7644/users.yaml")
        );
        assert!(get("fixtures/schemas/user.json").is_some());
        assert!(get("rfc7644/users.yaml").is_none());
        assert!(get("suites/nosuch.yaml").is_none());
        assert!(get("/suites/rfc7644/users.yaml").is_none());
    }

    #[test]
    fn a_glob_matches_built_in_files_segment_by_segment() {
        let rfc = glob("suites/rfc*/*.yaml").unwrap();
        assert!(rfc.contains(&PathBuf::from("suites/rfc7644/users.yaml")));
        assert!(rfc.contains(&PathBuf::from("suites/rfc7643/resources.yaml")));
        assert!(rfc.contains(&PathBuf::from("suites/rfc9865/cursor.yaml")));
        assert!(
            rfc.iter()
                .all(|p| p.to_string_lossy().starts_with("suites/rfc"))
        );
        assert!(!rfc.iter().any(|p| p.starts_with("suites/entra")));
        assert_eq!(glob("./suites/entra/*.yaml").unwrap().len(), 2);
        // `*` does not cross a `/`: `suites/*.yaml` names no file in a sub-folder.
        assert!(glob("suites/*.yaml").unwrap().is_empty());
        assert_eq!(
            glob("suites/**/newrelic.yaml").unwrap(),
            [PathBuf::from("suites/vendors/newrelic.yaml")]
        );
    }
}
